// tlogcheck - an independent check of grace-log's proofs with Go's
// golang.org/x/mod/sumdb/tlog and sumdb/note (Debian's
// golang-golang-x-mod-dev), for tests/log-proof.bats.
//
//	tlogcheck LOG PUBKEY PROOF            an inclusion proof (c2sp.org/tlog-proof)
//	tlogcheck LOG PUBKEY PROOF OLD NEW    a consistency proof between two checkpoints
//
// It opens each checkpoint with note.Open (the signature must verify with
// PUBKEY), checks the proof with tlog.CheckRecord or tlog.CheckTree, and
// compares it with the proof tlog.ProveRecord or tlog.ProveTree makes from
// LOG's records (each line without its newline is a record). Prints "ok"
// and exits 0, or says why not and exits 1.
package main

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

func fail(f string, a ...interface{}) {
	fmt.Fprintf(os.Stderr, "tlogcheck: "+f+"\n", a...)
	os.Exit(1)
}

type tree struct {
	origin string
	n      int64
	hash   tlog.Hash
}

func openCheckpoint(msg []byte, v note.Verifier) tree {
	n, err := note.Open(msg, note.VerifierList(v))
	if err != nil {
		fail("checkpoint: %v", err)
	}
	lines := strings.SplitN(n.Text, "\n", 4)
	if len(lines) < 4 {
		fail("checkpoint: fewer than three lines")
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil || size < 0 || lines[1] != strconv.FormatInt(size, 10) {
		fail("checkpoint: bad size %q", lines[1])
	}
	h, err := base64.StdEncoding.DecodeString(lines[2])
	if err != nil || len(h) != tlog.HashSize {
		fail("checkpoint: bad root %q", lines[2])
	}
	var t tree
	t.origin, t.n = lines[0], size
	copy(t.hash[:], h)
	return t
}

func hashLine(s string) tlog.Hash {
	h, err := base64.StdEncoding.DecodeString(s)
	if err != nil || len(h) != tlog.HashSize {
		fail("proof: bad hash %q", s)
	}
	var x tlog.Hash
	copy(x[:], h)
	return x
}

func main() {
	if len(os.Args) != 4 && len(os.Args) != 6 {
		fail("usage: tlogcheck LOG PUBKEY PROOF [OLD NEW]")
	}
	key, err := os.ReadFile(os.Args[2])
	if err != nil {
		fail("%v", err)
	}
	v, err := note.NewVerifier(strings.TrimSpace(string(key)))
	if err != nil {
		fail("pubkey: %v", err)
	}
	// The log's records and their stored hashes.
	f, err := os.Open(os.Args[1])
	if err != nil {
		fail("%v", err)
	}
	var stored []tlog.Hash
	var leaves []tlog.Hash
	reader := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(idx))
		for i, x := range idx {
			if x < 0 || x >= int64(len(stored)) {
				return nil, errors.New("no such hash")
			}
			out[i] = stored[x]
		}
		return out, nil
	})
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 80<<20)
	for sc.Scan() {
		rec := sc.Bytes()
		hs, err := tlog.StoredHashes(int64(len(leaves)), rec, reader)
		if err != nil {
			fail("%v", err)
		}
		stored = append(stored, hs...)
		leaves = append(leaves, tlog.RecordHash(rec))
	}
	if err := sc.Err(); err != nil {
		fail("%v", err)
	}
	proof, err := os.ReadFile(os.Args[3])
	if err != nil {
		fail("%v", err)
	}
	if len(os.Args) == 4 {
		// c2sp.org/tlog-proof@v1, [extra], index N, hashes, blank, checkpoint
		i := bytes.Index(proof, []byte("\n\n"))
		if i < 0 {
			fail("proof: no blank line")
		}
		head := strings.Split(string(proof[:i]), "\n")
		if head[0] != "c2sp.org/tlog-proof@v1" {
			fail("proof: bad header %q", head[0])
		}
		head = head[1:]
		if len(head) > 0 && strings.HasPrefix(head[0], "extra ") {
			head = head[1:]
		}
		if len(head) == 0 || !strings.HasPrefix(head[0], "index ") {
			fail("proof: no index line")
		}
		index, err := strconv.ParseInt(strings.TrimPrefix(head[0], "index "), 10, 64)
		if err != nil {
			fail("proof: bad index")
		}
		var p tlog.RecordProof
		for _, s := range head[1:] {
			p = append(p, hashLine(s))
		}
		t := openCheckpoint(proof[i+2:], v)
		if index >= int64(len(leaves)) {
			fail("the log has no record at index %d", index)
		}
		if err := tlog.CheckRecord(p, t.n, t.hash, index, leaves[index]); err != nil {
			fail("CheckRecord: %v", err)
		}
		want, err := tlog.ProveRecord(t.n, index, reader)
		if err != nil {
			fail("ProveRecord: %v", err)
		}
		if fmt.Sprint(want) != fmt.Sprint(p) {
			fail("the proof is not the one tlog.ProveRecord makes")
		}
		fmt.Printf("ok inclusion %d of %d\n", index, t.n)
		return
	}
	lines := strings.Split(strings.TrimSuffix(string(proof), "\n"), "\n")
	if len(lines) < 3 || lines[0] != "grace-log/consistency-proof@v1" ||
		!strings.HasPrefix(lines[1], "old ") || !strings.HasPrefix(lines[2], "new ") {
		fail("proof: bad header")
	}
	oldN, err1 := strconv.ParseInt(strings.TrimPrefix(lines[1], "old "), 10, 64)
	newN, err2 := strconv.ParseInt(strings.TrimPrefix(lines[2], "new "), 10, 64)
	if err1 != nil || err2 != nil {
		fail("proof: bad sizes")
	}
	var p tlog.TreeProof
	for _, s := range lines[3:] {
		p = append(p, hashLine(s))
	}
	read := func(path string) tree {
		b, err := os.ReadFile(path)
		if err != nil {
			fail("%v", err)
		}
		return openCheckpoint(b, v)
	}
	o, n := read(os.Args[4]), read(os.Args[5])
	if o.n != oldN || n.n != newN {
		fail("the proof's sizes are not the checkpoints'")
	}
	if err := tlog.CheckTree(p, n.n, n.hash, o.n, o.hash); err != nil {
		fail("CheckTree: %v", err)
	}
	want, err := tlog.ProveTree(n.n, o.n, reader)
	if err != nil {
		fail("ProveTree: %v", err)
	}
	if fmt.Sprint(want) != fmt.Sprint(p) {
		fail("the proof is not the one tlog.ProveTree makes")
	}
	fmt.Printf("ok consistency %d to %d\n", o.n, n.n)
}
