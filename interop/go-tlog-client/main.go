// Command tlogclient is an independent interop checker for a C2SP tlog-tiles
// log (https://c2sp.org/tlog-tiles) with a C2SP tlog-checkpoint
// (https://c2sp.org/tlog-checkpoint) in a C2SP signed note
// (https://c2sp.org/signed-note).
//
// All cryptographic and Merkle-tree logic comes from golang.org/x/mod/sumdb/note
// and golang.org/x/mod/sumdb/tlog (the Go checksum database client libraries);
// this file only does HTTP, path formatting and the entry-bundle framing.
//
// Usage:
//
//	tlogclient -url http://127.0.0.1:PORT/tlog/ -vkey '<name>+<keyid>+<base64>'
//	           [-old FILE]... [-entries all|N] [-proofs all|N] [-origin ORIGIN]
//
// On success it prints one JSON object with "ok":true and exits 0.
// On any failure it prints one JSON object with "ok":false, "stage" and
// "error" and exits 1. Usage errors exit 2.
package main

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// tileHeight is fixed by C2SP tlog-tiles: tiles are 2^8 = 256 hashes wide.
const tileHeight = 8
const tileWidth = 1 << tileHeight

// ---------------------------------------------------------------------------
// C2SP tlog-tiles paths.

// encodeIndex formats a tile index N as C2SP (and x/mod) do: zero-padded
// 3-digit groups, every group but the last prefixed with "x".
func encodeIndex(n int64) string {
	s := fmt.Sprintf("%03d", n%1000)
	for n >= 1000 {
		n /= 1000
		s = fmt.Sprintf("x%03d/%s", n%1000, s)
	}
	return s
}

// hashTilePath maps an x/mod tlog.Tile (H=8) to the C2SP path
// "tile/<L>/<N>[.p/<W>]". x/mod's own Tile.Path() would give
// "tile/8/<L>/<N>[.p/<W>]" (Go sumdb layout, with the height element).
func hashTilePath(t tlog.Tile) string {
	p := fmt.Sprintf("tile/%d/%s", t.L, encodeIndex(t.N))
	if t.W != tileWidth {
		p += fmt.Sprintf(".p/%d", t.W)
	}
	return p
}

// fullTilePath is the path of the full tile with the same coordinates.
func fullTilePath(t tlog.Tile) string {
	return fmt.Sprintf("tile/%d/%s", t.L, encodeIndex(t.N))
}

// bundlePath is the C2SP entry bundle path "tile/entries/<N>[.p/<W>]".
func bundlePath(n int64, w int) string {
	p := "tile/entries/" + encodeIndex(n)
	if w != tileWidth {
		p += fmt.Sprintf(".p/%d", w)
	}
	return p
}

// crossCheckPath makes sure our path formatting agrees with x/mod's Tile.Path()
// with the height element removed, so the mapping is not our invention.
func crossCheckPath(t tlog.Tile) error {
	xp := t.Path() // "tile/8/L/N[.p/W]"
	prefix := fmt.Sprintf("tile/%d/", t.H)
	if !strings.HasPrefix(xp, prefix) {
		return fmt.Errorf("x/mod tile path %q lacks %q", xp, prefix)
	}
	want := "tile/" + strings.TrimPrefix(xp, prefix)
	if got := hashTilePath(t); got != want {
		return fmt.Errorf("path mapping mismatch: ours %q, x/mod-derived %q", got, want)
	}
	return nil
}

// ---------------------------------------------------------------------------
// HTTP fetching.

type fetcher struct {
	base   string
	client *http.Client

	mu        sync.Mutex
	requests  int
	bytes     int64
	fallbacks int
}

type httpStatusError struct {
	url    string
	status int
}

func (e *httpStatusError) Error() string {
	return fmt.Sprintf("GET %s: HTTP %d", e.url, e.status)
}

func (f *fetcher) get(path string) ([]byte, error) {
	u := f.base + path
	resp, err := f.client.Get(u)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %v", u, err)
	}
	defer resp.Body.Close()
	// Bound what we accept: a full entry bundle is at most 256*(2+65535) bytes.
	data, err := io.ReadAll(io.LimitReader(resp.Body, 256*(2+65535)+1))
	f.mu.Lock()
	f.requests++
	f.bytes += int64(len(data))
	f.mu.Unlock()
	if resp.StatusCode != http.StatusOK {
		return nil, &httpStatusError{u, resp.StatusCode}
	}
	if err != nil {
		return nil, fmt.Errorf("GET %s: reading body: %v", u, err)
	}
	return data, nil
}

func isNotFound(err error) bool {
	var se *httpStatusError
	return errors.As(err, &se) && (se.status == http.StatusNotFound || se.status == http.StatusGone)
}

// getPartial fetches a partial tile/bundle and, per C2SP tlog-tiles ("clients
// SHOULD fall back to the full tile when a partial tile is not found", since
// servers may delete partial tiles once the full one exists), retries with the
// full tile when the partial one is 404/410. It reports whether it fell back.
func (f *fetcher) getPartial(partial, full string, w int) ([]byte, bool, error) {
	data, err := f.get(partial)
	if err == nil || w == tileWidth || !isNotFound(err) {
		return data, false, err
	}
	data, err2 := f.get(full)
	if err2 != nil {
		return nil, false, fmt.Errorf("%v; fallback to full tile: %v", err, err2)
	}
	f.mu.Lock()
	f.fallbacks++
	f.mu.Unlock()
	return data, true, nil
}

// ---------------------------------------------------------------------------
// tlog.TileReader over HTTP, with an in-memory cache. Caching does not weaken
// verification: tlog.TileHashReader re-authenticates every tile it is given
// against the signed tree hash on every ReadHashes call.

type tileReader struct {
	f        *fetcher
	tree     tlog.Tree
	mu       sync.Mutex
	cache    map[tlog.Tile][]byte
	authErr  error
	xmodOnly bool
}

func (r *tileReader) Height() int { return tileHeight }

func (r *tileReader) fetch(t tlog.Tile) ([]byte, error) {
	if t.H != tileHeight || t.L < 0 || t.W < 1 || t.W > tileWidth {
		return nil, fmt.Errorf("unexpected tile request %+v", t)
	}
	if err := crossCheckPath(t); err != nil {
		return nil, err
	}
	data, fellBack, err := r.f.getPartial(hashTilePath(t), fullTilePath(t), t.W)
	if err != nil {
		return nil, err
	}
	want := t.W * tlog.HashSize
	if fellBack {
		if len(data) != tileWidth*tlog.HashSize {
			return nil, fmt.Errorf("full tile %s (fallback for %s) has %d bytes, want %d",
				fullTilePath(t), hashTilePath(t), len(data), tileWidth*tlog.HashSize)
		}
		data = data[:want]
	}
	if len(data) != want {
		return nil, fmt.Errorf("hash tile %s has %d bytes, want %d", hashTilePath(t), len(data), want)
	}
	return data, nil
}

func (r *tileReader) ReadTiles(tiles []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(tiles))
	errs := make([]error, len(tiles))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for i, t := range tiles {
		r.mu.Lock()
		d, ok := r.cache[t]
		r.mu.Unlock()
		if ok {
			out[i] = d
			continue
		}
		wg.Add(1)
		go func(i int, t tlog.Tile) {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			out[i], errs[i] = r.fetch(t)
		}(i, t)
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// SaveTiles is called by x/mod's tileHashReader once it believes the tiles are
// authenticated. x/mod v0.7.0 (Debian bookworm) has a bug there: its "authenticate
// full tiles against their parents" loop starts at len(stx) (the number of
// tree-hash subtree indexes) instead of at the number of distinct tiles those
// indexes live in, so when several of them share a tile (e.g. tree size 70000),
// the first few non-root-path tiles are returned without any check. (Upstream
// golang.org/x/mod later added tampering tests to TestTileHashReader.)
// We therefore re-authenticate every tile here, independently, and only cache
// tiles that pass; authReader turns a failure into a ReadHashes error.
func (r *tileReader) SaveTiles(tiles []tlog.Tile, data [][]byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := authenticateTiles(r.tree, tiles, data); err != nil && !r.xmodOnly {
		if r.authErr == nil {
			r.authErr = err
		}
		return
	}
	for i, t := range tiles {
		r.cache[t] = data[i]
	}
}

// widen returns the tile holding t's hashes at its widest size in a tree of size n.
func widen(t tlog.Tile, n int64) tlog.Tile {
	t.W = tileWidth
	if max := n >> uint(t.L*tileHeight); t.N<<tileHeight+tileWidth > max {
		t.W = int(max - t.N<<tileHeight)
	}
	return t
}

// rootPathTiles are the tiles holding the hashes of the maximal complete
// subtrees of a tree of size n (RFC 6962 decomposition of n into powers of 2):
// the tiles from which the tree hash is computed.
func rootPathTiles(n int64) map[tlog.Tile]bool {
	out := map[tlog.Tile]bool{}
	for lo := int64(0); lo < n; {
		level := 0
		for int64(1)<<uint(level+1) <= n-lo {
			level++
		}
		out[widen(tlog.TileForIndex(tileHeight, tlog.StoredHashIndex(level, lo>>uint(level))), n)] = true
		lo += int64(1) << uint(level)
	}
	return out
}

// tileRoot is the hash of the complete subtree formed by a full tile's 256 hashes.
func tileRoot(data []byte) tlog.Hash {
	hs := make([]tlog.Hash, len(data)/tlog.HashSize)
	for i := range hs {
		copy(hs[i][:], data[i*tlog.HashSize:])
	}
	for len(hs) > 1 {
		for i := 0; i < len(hs)/2; i++ {
			hs[i] = tlog.NodeHash(hs[2*i], hs[2*i+1])
		}
		hs = hs[:len(hs)/2]
	}
	return hs[0]
}

// authenticateTiles checks that every tile is either one of the root-path tiles
// (all of which x/mod hashes together and compares with the signed root; a
// right-edge partial tile is entirely covered by them) or a full tile whose
// hash matches the corresponding hash in its parent tile, also in the set.
func authenticateTiles(tree tlog.Tree, tiles []tlog.Tile, data [][]byte) error {
	root := rootPathTiles(tree.N)
	idx := map[tlog.Tile]int{}
	for i, t := range tiles {
		idx[t] = i
	}
	for t := range root {
		if _, ok := idx[t]; !ok {
			return fmt.Errorf("tile authentication: root-path tile %s missing from x/mod's request", hashTilePath(t))
		}
	}
	for i, t := range tiles {
		if root[t] {
			continue
		}
		if t.W != tileWidth {
			return fmt.Errorf("tile authentication: partial tile %s is not on the root path", hashTilePath(t))
		}
		p := widen(tlog.Tile{H: tileHeight, L: t.L + 1, N: t.N >> tileHeight}, tree.N)
		j, ok := idx[p]
		if !ok {
			return fmt.Errorf("tile authentication: parent %s of %s not loaded", hashTilePath(p), hashTilePath(t))
		}
		ph, err := tlog.HashFromTile(p, data[j], tlog.StoredHashIndex(p.L*tileHeight, t.N))
		if err != nil {
			return fmt.Errorf("tile authentication: %v", err)
		}
		if ph != tileRoot(data[i]) {
			return fmt.Errorf("downloaded inconsistent tile: %s does not match its parent %s (caught by independent check; x/mod v0.7.0 tileHashReader skipped it)", hashTilePath(t), hashTilePath(p))
		}
	}
	return nil
}

// authReader wraps x/mod's tileHashReader and fails if our own tile
// authentication (in SaveTiles) failed during the call.
type authReader struct {
	inner tlog.HashReader
	tr    *tileReader
}

func (a authReader) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	hs, err := a.inner.ReadHashes(indexes)
	a.tr.mu.Lock()
	aerr := a.tr.authErr
	a.tr.mu.Unlock()
	if aerr != nil {
		return nil, aerr
	}
	return hs, err
}

// ---------------------------------------------------------------------------
// Checkpoints.

type checkpoint struct {
	Origin  string
	N       int64
	Hash    tlog.Hash
	KeyName string
	Ext     []string
}

// openCheckpoint verifies the signed note with the verifier and parses the
// C2SP tlog-checkpoint body: origin, decimal size, base64 root, then optional
// extension lines.
func openCheckpoint(msg []byte, verifiers note.Verifiers) (*checkpoint, error) {
	n, err := note.Open(msg, verifiers)
	if err != nil {
		return nil, fmt.Errorf("signed note does not verify: %v", err)
	}
	if len(n.Sigs) == 0 {
		return nil, fmt.Errorf("no verified signature")
	}
	lines := strings.Split(n.Text, "\n")
	// n.Text ends in "\n" (note.Open guarantees it), so the last element is "".
	if len(lines) < 4 || lines[len(lines)-1] != "" {
		return nil, fmt.Errorf("checkpoint body has %d lines, want at least 3", len(lines)-1)
	}
	c := &checkpoint{Origin: lines[0], KeyName: n.Sigs[0].Name}
	if c.Origin == "" {
		return nil, fmt.Errorf("empty origin line")
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil || size < 0 || lines[1] != strconv.FormatInt(size, 10) {
		return nil, fmt.Errorf("bad tree size line %q", lines[1])
	}
	c.N = size
	root, err := base64.StdEncoding.DecodeString(lines[2])
	if err != nil || len(root) != tlog.HashSize || base64.StdEncoding.EncodeToString(root) != lines[2] {
		return nil, fmt.Errorf("bad root hash line %q", lines[2])
	}
	copy(c.Hash[:], root)
	for _, l := range lines[3 : len(lines)-1] {
		if l == "" {
			return nil, fmt.Errorf("empty extension line in checkpoint body")
		}
		c.Ext = append(c.Ext, l)
	}
	return c, nil
}

// emptyRoot is the RFC 6962 hash of the empty tree, SHA-256(""). Note that
// x/mod's tlog.TreeHash(0, ...) returns an all-zero hash instead, so size 0
// is handled here, not by x/mod.
var emptyRoot = tlog.Hash(sha256.Sum256(nil))

// ---------------------------------------------------------------------------
// Entry bundles.

// parseBundle splits a C2SP entry bundle into exactly w entries, each a
// big-endian uint16 length followed by that many bytes. If allowTrailing is
// false, bytes after the w'th entry are an error.
func parseBundle(data []byte, w int, allowTrailing bool) ([][]byte, error) {
	var out [][]byte
	for len(out) < w {
		if len(data) < 2 {
			return nil, fmt.Errorf("bundle truncated after %d of %d entries", len(out), w)
		}
		l := int(binary.BigEndian.Uint16(data))
		data = data[2:]
		if len(data) < l {
			return nil, fmt.Errorf("entry %d of bundle truncated: length %d, %d bytes left", len(out), l, len(data))
		}
		out = append(out, data[:l:l])
		data = data[l:]
	}
	if len(data) != 0 && !allowTrailing {
		return nil, fmt.Errorf("bundle has %d trailing bytes after %d entries", len(data), w)
	}
	return out, nil
}

// ---------------------------------------------------------------------------

// memHashes is an in-memory tlog.HashReader over stored hashes.
type memHashes []tlog.Hash

func (m *memHashes) ReadHashes(idx []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(idx))
	for i, x := range idx {
		if x < 0 || x >= int64(len(*m)) {
			return nil, fmt.Errorf("stored hash %d not available", x)
		}
		out[i] = (*m)[x]
	}
	return out, nil
}

func bytesEqual(a, b []byte) bool { return string(a) == string(b) }

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

// parseCount parses "all" (-1) or a non-negative integer.
func parseCount(name, s string) (int64, error) {
	if s == "all" {
		return -1, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("-%s must be 'all' or a non-negative integer, not %q", name, s)
	}
	return n, nil
}

// sample returns k indexes spread evenly over [0, n), always including 0 and
// n-1 when k >= 2; k < 0 means all of them.
func sample(n, k int64) []int64 {
	if n <= 0 || k == 0 {
		return nil
	}
	if k < 0 || k >= n {
		out := make([]int64, n)
		for i := range out {
			out[i] = int64(i)
		}
		return out
	}
	if k == 1 {
		return []int64{n - 1}
	}
	seen := map[int64]bool{}
	var out []int64
	for i := int64(0); i < k; i++ {
		x := i * (n - 1) / (k - 1)
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

type result struct {
	OK                  bool     `json:"ok"`
	Stage               string   `json:"stage,omitempty"`
	Error               string   `json:"error,omitempty"`
	URL                 string   `json:"url"`
	Origin              string   `json:"origin,omitempty"`
	Size                int64    `json:"size"`
	Root                string   `json:"root,omitempty"`
	KeyName             string   `json:"key_name,omitempty"`
	Extensions          []string `json:"extension_lines,omitempty"`
	RootRecomputed      bool     `json:"root_recomputed"`
	TilesCompared       int      `json:"tiles_compared_with_rebuild"`
	EntriesChecked      int64    `json:"entries_checked"`
	EntryBundlesFetched int64    `json:"entry_bundles_fetched"`
	InclusionProofs     int64    `json:"inclusion_proofs_checked"`
	ConsistencyChecked  int      `json:"consistency_checked"`
	ConsistencySizes    []int64  `json:"consistency_old_sizes,omitempty"`
	HashTilesFetched    int      `json:"hash_tiles_fetched"`
	PartialFallbacks    int      `json:"partial_tile_fallbacks"`
	HTTPRequests        int      `json:"http_requests"`
	HTTPBytes           int64    `json:"http_bytes"`
	Warnings            []string `json:"warnings,omitempty"`
	XModSumdbTlog       string   `json:"verifier"`
	ElapsedMilliseconds int64    `json:"elapsed_ms"`
}

func main() {
	var (
		baseURL  = flag.String("url", "", "base URL of the tlog-tiles API, e.g. http://127.0.0.1:8080/tlog/ (required)")
		vkey     = flag.String("vkey", "", "signed-note verifier key <name>+<hex keyid>+<base64(0x01||pubkey)>; '@FILE' reads it from FILE (required)")
		origin   = flag.String("origin", "", "if set, the checkpoint origin line must equal this")
		entries  = flag.String("entries", "all", "entries to fetch and check against the leaf hashes: 'all' or N spread evenly (0 = none)")
		proofs   = flag.String("proofs", "256", "entries to check with tlog.ProveRecord/CheckRecord: 'all' or N spread evenly")
		xmodOnly = flag.Bool("xmod-auth-only", false, "diagnostic: disable the independent tile authentication and trust x/mod's tileHashReader alone")
		timeout  = flag.Duration("timeout", 30*time.Second, "per-request HTTP timeout")
		olds     multiFlag
	)
	flag.Var(&olds, "old", "file holding an earlier signed checkpoint of the same log; checks consistency (repeatable)")
	flag.Usage = func() {
		fmt.Fprintf(os.Stderr, "usage: tlogclient -url URL -vkey VKEY [-old FILE]... [-entries all|N] [-proofs all|N] [-origin O]\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if *baseURL == "" || *vkey == "" || flag.NArg() != 0 {
		flag.Usage()
		os.Exit(2)
	}
	nEntries, err := parseCount("entries", *entries)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	nProofs, err := parseCount("proofs", *proofs)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}

	start := time.Now()
	base := *baseURL
	if !strings.HasSuffix(base, "/") {
		base += "/"
	}
	res := &result{URL: base, XModSumdbTlog: "golang.org/x/mod/sumdb/{note,tlog}"}
	f := &fetcher{base: base, client: &http.Client{Timeout: *timeout}}
	stage := "setup"
	var tr *tileReader
	fail := func(format string, args ...interface{}) {
		res.OK = false
		res.Stage = stage
		res.Error = fmt.Sprintf(format, args...)
		res.HTTPRequests, res.HTTPBytes, res.PartialFallbacks = f.requests, f.bytes, f.fallbacks
		if tr != nil {
			res.HashTilesFetched = len(tr.cache)
		}
		res.ElapsedMilliseconds = time.Since(start).Milliseconds()
		fmt.Fprintf(os.Stderr, "tlogclient: FAIL [%s]: %s\n", res.Stage, res.Error)
		out, _ := json.Marshal(res)
		fmt.Println(string(out))
		os.Exit(1)
	}

	// --- verifier key
	stage = "vkey"
	vk := strings.TrimSpace(*vkey)
	if strings.HasPrefix(vk, "@") {
		b, err := os.ReadFile(vk[1:])
		if err != nil {
			fail("reading vkey file: %v", err)
		}
		vk = strings.TrimSpace(string(b))
	}
	verifier, err := note.NewVerifier(vk)
	if err != nil {
		fail("note.NewVerifier: %v", err)
	}
	verifiers := note.VerifierList(verifier)

	// --- checkpoint
	stage = "checkpoint"
	msg, err := f.get("checkpoint")
	if err != nil {
		fail("%v", err)
	}
	cp, err := openCheckpoint(msg, verifiers)
	if err != nil {
		fail("%v", err)
	}
	res.Origin, res.Size, res.Root, res.KeyName, res.Extensions = cp.Origin, cp.N, cp.Hash.String(), cp.KeyName, cp.Ext
	if *origin != "" && cp.Origin != *origin {
		fail("origin %q, want %q", cp.Origin, *origin)
	}
	if cp.KeyName != cp.Origin {
		res.Warnings = append(res.Warnings, fmt.Sprintf("key name %q differs from origin %q (C2SP tlog-checkpoint: the key name SHOULD be the origin)", cp.KeyName, cp.Origin))
	}

	tree := tlog.Tree{N: cp.N, Hash: cp.Hash}
	tr = &tileReader{f: f, tree: tree, cache: map[tlog.Tile][]byte{}, xmodOnly: *xmodOnly}
	var hr tlog.HashReader = authReader{tlog.TileHashReader(tree, tr), tr}

	// --- tree hash from tiles
	stage = "tree-hash"
	if tree.N == 0 {
		if tree.Hash != emptyRoot {
			fail("size 0 checkpoint root is %s, want RFC 6962 empty-tree hash SHA-256(\"\") = %s", tree.Hash, emptyRoot)
		}
		res.RootRecomputed = true
	} else {
		th, err := tlog.TreeHash(tree.N, hr)
		if err != nil {
			fail("tlog.TreeHash over hash tiles: %v", err)
		}
		if th != tree.Hash {
			fail("tree hash from tiles %s != signed root %s", th, tree.Hash)
		}
		res.RootRecomputed = true
	}

	// --- entry bundles: every (or a sample of) entry's RecordHash must equal the
	// authenticated level-0 hash in the tiles.
	stage = "entries"
	want := sample(tree.N, nEntries)
	bundles := map[int64][]int64{} // bundle index -> entry indexes to check
	var order []int64
	for _, i := range want {
		b := i / tileWidth
		if _, ok := bundles[b]; !ok {
			order = append(order, b)
		}
		bundles[b] = append(bundles[b], i)
	}
	// With -entries all, also rebuild the whole tree from the entries with x/mod's
	// tlog.StoredHashesForRecordHash (no tiles involved), then require the same
	// signed root and byte-identical hash tiles at every level.
	var mem memHashes
	for _, b := range order {
		w := tileWidth
		if (b+1)*tileWidth > tree.N {
			w = int(tree.N - b*tileWidth)
		}
		data, fellBack, err := f.getPartial(bundlePath(b, w), bundlePath(b, tileWidth), w)
		if err != nil {
			fail("%v", err)
		}
		res.EntryBundlesFetched++
		ents, err := parseBundle(data, w, fellBack)
		if err != nil {
			fail("%s: %v", bundlePath(b, w), err)
		}
		idx := bundles[b]
		indexes := make([]int64, len(idx))
		for k, i := range idx {
			indexes[k] = tlog.StoredHashIndex(0, i)
		}
		hashes, err := hr.ReadHashes(indexes)
		if err != nil {
			fail("reading leaf hashes for bundle %d: %v", b, err)
		}
		if len(hashes) != len(indexes) {
			fail("ReadHashes returned %d hashes, want %d", len(hashes), len(indexes))
		}
		for k, i := range idx {
			rh := tlog.RecordHash(ents[i-b*tileWidth])
			if rh != hashes[k] {
				fail("entry %d (bundle %s): RecordHash %s != leaf hash in tiles %s", i, bundlePath(b, w), rh, hashes[k])
			}
			if nEntries < 0 {
				sh, err := tlog.StoredHashesForRecordHash(i, rh, &mem)
				if err != nil {
					fail("rebuilding tree: %v", err)
				}
				mem = append(mem, sh...)
			}
			res.EntriesChecked++
		}
	}

	if nEntries < 0 && tree.N > 0 {
		stage = "rebuild"
		th, err := tlog.TreeHash(tree.N, &mem)
		if err != nil {
			fail("tlog.TreeHash over rebuilt tree: %v", err)
		}
		if th != tree.Hash {
			fail("root rebuilt from all entries %s != signed root %s", th, tree.Hash)
		}
		all := tlog.NewTiles(tileHeight, 0, tree.N)
		for k, t := range all {
			if t.W != tileWidth && k+1 < len(all) && all[k+1].L == t.L && all[k+1].N == t.N {
				continue // only the current (widest) partial tile is expected
			}
			want, err := tlog.ReadTileData(t, &mem)
			if err != nil {
				fail("tlog.ReadTileData(%s): %v", hashTilePath(t), err)
			}
			tr.mu.Lock()
			got, ok := tr.cache[t]
			tr.mu.Unlock()
			if !ok {
				if got, err = tr.fetch(t); err != nil {
					fail("%v", err)
				}
			}
			if !bytesEqual(got, want) {
				fail("hash tile %s served by the log differs from the tile rebuilt from the entries", hashTilePath(t))
			}
			res.TilesCompared++
		}
	}

	// --- inclusion proofs with tlog.ProveRecord / tlog.CheckRecord
	stage = "inclusion"
	for _, i := range sample(tree.N, nProofs) {
		leaf, err := hr.ReadHashes([]int64{tlog.StoredHashIndex(0, i)})
		if err != nil {
			fail("leaf %d: %v", i, err)
		}
		p, err := tlog.ProveRecord(tree.N, i, hr)
		if err != nil {
			fail("tlog.ProveRecord(%d, %d): %v", tree.N, i, err)
		}
		if err := tlog.CheckRecord(p, tree.N, tree.Hash, i, leaf[0]); err != nil {
			fail("tlog.CheckRecord(%d, %d): %v", tree.N, i, err)
		}
		res.InclusionProofs++
	}

	// --- consistency with earlier checkpoints
	stage = "consistency"
	for _, path := range olds {
		b, err := os.ReadFile(path)
		if err != nil {
			fail("%v", err)
		}
		old, err := openCheckpoint(b, verifiers)
		if err != nil {
			fail("old checkpoint %s: %v", path, err)
		}
		if old.Origin != cp.Origin {
			fail("old checkpoint %s has origin %q, current %q", path, old.Origin, cp.Origin)
		}
		switch {
		case old.N > tree.N:
			fail("old checkpoint %s has size %d > current size %d (log rolled back or forked)", path, old.N, tree.N)
		case old.N == 0:
			if old.Hash != emptyRoot {
				fail("old checkpoint %s: size 0 with root %s, want %s", path, old.Hash, emptyRoot)
			}
		case old.N == tree.N:
			if old.Hash != tree.Hash {
				fail("old checkpoint %s: same size %d, different root %s vs %s (fork)", path, old.N, old.Hash, tree.Hash)
			}
			fallthrough
		default:
			p, err := tlog.ProveTree(tree.N, old.N, hr)
			if err != nil {
				fail("tlog.ProveTree(%d, %d): %v", tree.N, old.N, err)
			}
			if err := tlog.CheckTree(p, tree.N, tree.Hash, old.N, old.Hash); err != nil {
				fail("old checkpoint %s (size %d) is not consistent with size %d: %v", path, old.N, tree.N, err)
			}
		}
		res.ConsistencyChecked++
		res.ConsistencySizes = append(res.ConsistencySizes, old.N)
	}

	tr.mu.Lock()
	res.HashTilesFetched = len(tr.cache)
	tr.mu.Unlock()
	res.OK = true
	res.HTTPRequests, res.HTTPBytes, res.PartialFallbacks = f.requests, f.bytes, f.fallbacks
	res.ElapsedMilliseconds = time.Since(start).Milliseconds()
	out, _ := json.Marshal(res)
	fmt.Println(string(out))
}
