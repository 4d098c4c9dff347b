// Command notecheck checks a C2SP checkpoint (c2sp.org/tlog-checkpoint) the way Go's own
// golang.org/x/mod/sumdb/note reads a signed note, independently of perfledger's Python code.
//
//	notecheck [-vkey VKEY]... [-cosigner VKEY]... NOTEFILE
//
// The note is opened with note.Open and a verifier for each -vkey (signature type 0x01,
// Ed25519): at least one of them must have signed it, and a signature line bearing a known
// key's name and key ID must verify. The note's text must then be a checkpoint: an origin, a
// tree size in decimal without leading zeros, a root hash of 32 bytes in base64, and optional
// non-empty extension lines. Each -cosigner (signature type 0x04, c2sp.org/tlog-cosignature)
// must have a line of its name and key ID among the signatures, and every such line must verify.
//
// On success it prints "signed by NAME" per verified log signature, then "cosigned by NAME at
// TIMESTAMP" per cosigner, and exits 0. A note it rejects exits 1, bad usage or a malformed
// vkey exits 2; either way with one line on stderr.
package main

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"regexp"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
)

const cosignatureType = 0x04

// A tree size: decimal, no leading zeros unless the tree is empty.
var treeSize = regexp.MustCompile(`^(0|[1-9][0-9]*)$`)

type vkeys []string

func (v *vkeys) String() string     { return strings.Join(*v, ",") }
func (v *vkeys) Set(s string) error { *v = append(*v, s); return nil }

// A cosigner: its name, its key ID and its Ed25519 public key.
type cosigner struct {
	name string
	id   uint32
	key  ed25519.PublicKey
}

func main() {
	var logKeys, cosignerKeys vkeys
	flag.Var(&logKeys, "vkey", "a log's verifier key, `name+hex8+base64(0x01||key)` (repeatable)")
	flag.Var(&cosignerKeys, "cosigner", "a cosigner's verifier key, `name+hex8+base64(0x04||key)` (repeatable)")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: notecheck [-vkey VKEY]... [-cosigner VKEY]... NOTEFILE (- reads stdin)")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 1 || len(logKeys) == 0 {
		fail(2, errors.New("give one NOTEFILE and at least one -vkey"))
	}

	var verifiers []note.Verifier
	for _, vkey := range logKeys {
		v, err := note.NewVerifier(vkey)
		if err != nil {
			fail(2, fmt.Errorf("-vkey %q: %v", vkey, err))
		}
		verifiers = append(verifiers, v)
	}
	var cosigners []cosigner
	for _, vkey := range cosignerKeys {
		c, err := parseCosigner(vkey)
		if err != nil {
			fail(2, fmt.Errorf("-cosigner %q: %v", vkey, err))
		}
		cosigners = append(cosigners, c)
	}

	msg, err := readNote(flag.Arg(0))
	if err != nil {
		fail(2, err)
	}
	n, err := note.Open(msg, note.VerifierList(verifiers...))
	if err != nil {
		fail(1, fmt.Errorf("note not verified: %v", err))
	}
	// The text is read only once a trusted key has vouched for it (c2sp.org/signed-note).
	if err := checkCheckpoint(n.Text); err != nil {
		fail(1, fmt.Errorf("not a checkpoint: %v", err))
	}
	var out []string
	for _, s := range n.Sigs {
		out = append(out, "signed by "+s.Name)
	}
	for _, c := range cosigners {
		ts, err := checkCosignature(n, c)
		if err != nil {
			fail(1, err)
		}
		out = append(out, fmt.Sprintf("cosigned by %s at %d", c.name, ts))
	}
	fmt.Println(strings.Join(out, "\n"))
}

func fail(code int, err error) {
	fmt.Fprintln(os.Stderr, "notecheck: "+err.Error())
	os.Exit(code)
}

func readNote(path string) ([]byte, error) {
	if path == "-" {
		return io.ReadAll(os.Stdin)
	}
	return os.ReadFile(path)
}

// parseCosigner reads a type 0x04 vkey and checks its key ID against
// SHA-256(name || "\n" || 0x04 || public key)[:4].
func parseCosigner(vkey string) (cosigner, error) {
	parts := strings.SplitN(vkey, "+", 3) // the base64 may hold pluses too
	if len(parts) != 3 || parts[0] == "" || len(parts[1]) != 8 {
		return cosigner{}, errors.New("not name+hex8+base64")
	}
	id, err := strconv.ParseUint(parts[1], 16, 32)
	if err != nil {
		return cosigner{}, errors.New("key ID is not 8 hex digits")
	}
	material, err := base64.StdEncoding.Strict().DecodeString(parts[2])
	if err != nil || len(material) != 1+ed25519.PublicKeySize {
		return cosigner{}, errors.New("key is not base64 of a type byte and 32 bytes")
	}
	if material[0] != cosignatureType {
		return cosigner{}, fmt.Errorf("signature type 0x%02x, not 0x04 (Ed25519 cosignature)", material[0])
	}
	if uint32(id) != keyID(parts[0], material) {
		return cosigner{}, errors.New("key ID does not match the name and key")
	}
	return cosigner{parts[0], uint32(id), ed25519.PublicKey(material[1:])}, nil
}

func keyID(name string, material []byte) uint32 {
	h := sha256.New()
	h.Write([]byte(name + "\n"))
	h.Write(material)
	return binary.BigEndian.Uint32(h.Sum(nil))
}

// checkCheckpoint requires the note text to be a checkpoint (c2sp.org/tlog-checkpoint).
func checkCheckpoint(text string) error {
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	if len(lines) < 3 {
		return fmt.Errorf("%d lines, a checkpoint has at least 3 (origin, size, root)", len(lines))
	}
	for i, line := range lines {
		if line == "" {
			return fmt.Errorf("line %d is empty", i+1)
		}
	}
	if !treeSize.MatchString(lines[1]) {
		return fmt.Errorf("size %q is not decimal without leading zeros", lines[1])
	}
	if _, err := strconv.ParseUint(lines[1], 10, 64); err != nil {
		return fmt.Errorf("size %q does not fit 64 bits", lines[1])
	}
	root, err := base64.StdEncoding.Strict().DecodeString(lines[2])
	if err != nil || len(root) != sha256.Size || base64.StdEncoding.EncodeToString(root) != lines[2] {
		return fmt.Errorf("root %q is not the base64 of 32 bytes", lines[2])
	}
	return nil
}

// checkCosignature finds the signature lines of c's name and key ID (other lines are ignored,
// as c2sp.org/signed-note requires) and verifies each; it returns the cosignature's timestamp.
func checkCosignature(n *note.Note, c cosigner) (uint64, error) {
	found := false
	var ts uint64
	for _, s := range append(append([]note.Signature{}, n.Sigs...), n.UnverifiedSigs...) {
		if s.Name != c.name || s.Hash != c.id {
			continue
		}
		found = true
		raw, err := base64.StdEncoding.DecodeString(s.Base64)
		// key ID (4) || timestamp (8, big-endian) || Ed25519 signature (64)
		if err != nil || len(raw) != 4+8+ed25519.SignatureSize {
			return 0, fmt.Errorf("cosignature by %s is not a timestamped Ed25519 signature", c.name)
		}
		ts = binary.BigEndian.Uint64(raw[4:12])
		if ts > math.MaxInt64 {
			return 0, fmt.Errorf("cosignature by %s has a timestamp beyond 2^63-1", c.name)
		}
		var signed bytes.Buffer
		fmt.Fprintf(&signed, "cosignature/v1\ntime %d\n%s", ts, n.Text)
		if !ed25519.Verify(c.key, signed.Bytes(), raw[12:]) {
			return 0, fmt.Errorf("cosignature by %s at %d does not verify", c.name, ts)
		}
	}
	if !found {
		return 0, fmt.Errorf("no cosignature by %s+%08x", c.name, c.id)
	}
	return ts, nil
}
