// Command fixturegen writes a static C2SP tlog-tiles log directory built only
// with golang.org/x/mod/sumdb/tlog and golang.org/x/mod/sumdb/note, so that
// tlogclient can be tested without ipledger's server.
//
// Layout written under DIR:
//
//	DIR/tlog/checkpoint                 signed checkpoint for size -size (default -n)
//	DIR/tlog/tile/<L>/<N>[.p/<W>]       hash tiles for a log of -n entries
//	DIR/tlog/tile/entries/<N>[.p/<W>]   entry bundles (uint16 big-endian length + bytes)
//	DIR/vkey                            verifier key (one line)
//	DIR/skey                            signer key (test only)
//	DIR/other.vkey                      a different key with the same name (for negative tests)
//	DIR/checkpoint.<M>                  signed checkpoints for each -old size M
//	DIR/checkpoint.fork.<M>             signed checkpoint of size M of a forked log (entry 0 differs)
//
// Only the partial tile of the current width is written at each level (like a
// server that keeps just the latest partial tiles), unless -all-partials.
package main

import (
	"crypto/rand"
	"encoding/binary"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

const h = 8

func encodeIndex(n int64) string {
	s := fmt.Sprintf("%03d", n%1000)
	for n >= 1000 {
		n /= 1000
		s = fmt.Sprintf("x%03d/%s", n%1000, s)
	}
	return s
}

// c2spPath turns x/mod's "tile/8/L/N[.p/W]" (or "tile/8/data/N...") into
// C2SP's "tile/L/N[.p/W]" (or "tile/entries/N...").
func c2spPath(t tlog.Tile) string {
	p := strings.TrimPrefix(t.Path(), "tile/8/")
	if strings.HasPrefix(p, "data/") {
		p = "entries/" + strings.TrimPrefix(p, "data/")
	}
	return "tile/" + p
}

// entry returns deterministic test entry i with varied lengths, including the
// empty entry and a maximum-length (65535-byte) entry.
func entry(i int64, fork bool) []byte {
	switch {
	case i == 1:
		return []byte{}
	case i == 3:
		b := make([]byte, 65535)
		for k := range b {
			b[k] = byte(k)
		}
		return b
	}
	s := fmt.Sprintf("entry %d of the fixture log\n%s", i, strings.Repeat("x", int(i%97)))
	if fork && i == 0 {
		s = "forked " + s
	}
	return []byte(s)
}

type memHashes []tlog.Hash

func (m *memHashes) ReadHashes(idx []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(idx))
	for i, x := range idx {
		if x >= int64(len(*m)) {
			return nil, fmt.Errorf("hash %d not stored", x)
		}
		out[i] = (*m)[x]
	}
	return out, nil
}

func build(n int64, fork bool) *memHashes {
	m := &memHashes{}
	for i := int64(0); i < n; i++ {
		hs, err := tlog.StoredHashes(i, entry(i, fork), m)
		if err != nil {
			log.Fatal(err)
		}
		*m = append(*m, hs...)
	}
	return m
}

// xmodEmptyRoot makes size-0 checkpoints use x/mod's all-zero empty-tree hash
// instead of RFC 6962's SHA-256("") (negative test: the client must reject it).
var xmodEmptyRoot = flag.Bool("x-mod-empty-root", false, "sign size-0 checkpoints with x/mod's all-zero root instead of SHA-256(\"\") (negative test)")

func signedCheckpoint(origin string, n int64, m *memHashes, signer note.Signer) []byte {
	var root tlog.Hash
	if n == 0 {
		if !*xmodEmptyRoot {
			root = emptyRoot()
		}
	} else {
		var err error
		root, err = tlog.TreeHash(n, m)
		if err != nil {
			log.Fatal(err)
		}
	}
	text := fmt.Sprintf("%s\n%d\n%s\n", origin, n, root)
	msg, err := note.Sign(&note.Note{Text: text}, signer)
	if err != nil {
		log.Fatal(err)
	}
	return msg
}

func emptyRoot() tlog.Hash {
	// RFC 6962: MTH({}) = SHA-256(""). (x/mod's TreeHash(0) returns all zeros.)
	return tlog.Hash{0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4, 0xc8, 0x99, 0x6f, 0xb9, 0x24,
		0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b, 0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55}
}

func write(dir, rel string, data []byte) {
	p := filepath.Join(dir, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		log.Fatal(err)
	}
}

func sizes(s string) []int64 {
	var out []int64
	for _, f := range strings.Split(s, ",") {
		if f == "" {
			continue
		}
		v, err := strconv.ParseInt(f, 10, 64)
		if err != nil || v < 0 {
			log.Fatalf("bad size %q", f)
		}
		out = append(out, v)
	}
	return out
}

func main() {
	dir := flag.String("dir", "", "output directory (required)")
	n := flag.Int64("n", 0, "number of entries in the log (tiles are written for this size)")
	size := flag.Int64("size", -1, "size of the served checkpoint (default -n); must be <= -n")
	origin := flag.String("origin", "example.com/fixture-log", "checkpoint origin line and key name")
	olds := flag.String("old", "", "comma-separated sizes for extra signed checkpoints DIR/checkpoint.<M>")
	forks := flag.String("fork", "", "comma-separated sizes for signed checkpoints of a forked log DIR/checkpoint.fork.<M>")
	allPartials := flag.Bool("all-partials", false, "write every partial tile width, not only the current one")
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("fixturegen: ")
	if *dir == "" || *n < 0 {
		flag.Usage()
		os.Exit(2)
	}
	if *size < 0 {
		*size = *n
	}
	if *size > *n {
		log.Fatalf("-size %d > -n %d", *size, *n)
	}

	skey, vkey, err := note.GenerateKey(rand.Reader, *origin)
	if err != nil {
		log.Fatal(err)
	}
	_, otherVkey, err := note.GenerateKey(rand.Reader, *origin)
	if err != nil {
		log.Fatal(err)
	}
	signer, err := note.NewSigner(skey)
	if err != nil {
		log.Fatal(err)
	}
	write(*dir, "vkey", []byte(vkey+"\n"))
	write(*dir, "skey", []byte(skey+"\n"))
	write(*dir, "other.vkey", []byte(otherVkey+"\n"))

	m := build(*n, false)
	tiles := 0
	if *n > 0 {
		all := tlog.NewTiles(h, 0, *n)
		for i, t := range all {
			// NewTiles lists partial tiles of every width 1..maxW; a server
			// normally keeps only the widest (current) one.
			last := i+1 == len(all) || all[i+1].L != t.L || all[i+1].N != t.N
			if t.W != 1<<h && !last && !*allPartials {
				continue
			}
			data, err := tlog.ReadTileData(t, m)
			if err != nil {
				log.Fatal(err)
			}
			write(*dir, "tlog/"+c2spPath(t), data)
			tiles++

			if t.L == 0 {
				// Matching entry bundle: tlog.Tile with L=-1 is x/mod's data tile.
				var b []byte
				for k := int64(0); k < int64(t.W); k++ {
					e := entry(t.N<<h+k, false)
					b = binary.BigEndian.AppendUint16(b, uint16(len(e)))
					b = append(b, e...)
				}
				dt := t
				dt.L = -1
				write(*dir, "tlog/"+c2spPath(dt), b)
			}
		}
	}
	write(*dir, "tlog/checkpoint", signedCheckpoint(*origin, *size, m, signer))
	for _, o := range sizes(*olds) {
		if o > *n {
			log.Fatalf("-old %d > -n %d", o, *n)
		}
		write(*dir, fmt.Sprintf("checkpoint.%d", o), signedCheckpoint(*origin, o, m, signer))
	}
	for _, o := range sizes(*forks) {
		write(*dir, fmt.Sprintf("checkpoint.fork.%d", o), signedCheckpoint(*origin, o, build(o, true), signer))
	}
	fmt.Printf("fixturegen: %s: %d entries, checkpoint size %d, %d hash tiles, vkey %s\n", *dir, *n, *size, tiles, vkey)
}
