// securecookie_bench.go - gorilla/securecookie Encode/Decode of a 205-byte
// value (HMAC-SHA-256 hash key + AES-256 block key, NopEncoder: no gob/JSON),
// the same payload bench_codec seals. Prints CPU-time ops/s (getrusage
// user+sys) for each op, one line each: "gorilla-seal N" and "gorilla-open N".
// Run by bench/peers.sh in GOPATH mode against Debian's
// golang-github-gorilla-securecookie-dev (no network).
package main

import (
	"fmt"
	"os"
	"syscall"

	"github.com/gorilla/securecookie"
)

func cpu() float64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return float64(ru.Utime.Sec+ru.Stime.Sec) + float64(ru.Utime.Usec+ru.Stime.Usec)/1e6
}

// rate runs fn in batches until secs of CPU time have passed.
func rate(secs float64, fn func()) float64 {
	n := 0
	t0 := cpu()
	for {
		for i := 0; i < 256; i++ {
			fn()
		}
		n += 256
		if t := cpu() - t0; t >= secs {
			return float64(n) / t
		}
	}
}

func main() {
	hashKey := make([]byte, 32)
	blockKey := make([]byte, 32)
	for i := range hashKey {
		hashKey[i] = byte(i)
		blockKey[i] = byte(255 - i)
	}
	s := securecookie.New(hashKey, blockKey).SetSerializer(securecookie.NopEncoder{})
	pt := make([]byte, 205)
	for i := range pt {
		pt[i] = byte(i*31 + 7)
	}
	tok, err := s.Encode("sid", pt)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("gorilla-seal %.0f %d\n", rate(1.0, func() {
		if _, err := s.Encode("sid", pt); err != nil {
			panic(err)
		}
	}), len(tok))
	fmt.Printf("gorilla-open %.0f %d\n", rate(1.0, func() {
		var out []byte
		if err := s.Decode("sid", tok, &out); err != nil {
			panic(err)
		}
	}), len(tok))
}
