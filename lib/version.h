/* version.h - the toolkit's version, printed by every --version. */
#ifndef GRACE_VERSION_H
#define GRACE_VERSION_H
#define GRACE_VERSION "0.1.0"
#endif
