// loadgen: a closed-loop HTTP load generator for `npm run bench`.
// N connections each send requests back to back for a duration (GET, or
// POST with a fixed random body of -body bytes), or until -n requests were
// sent in all (a fixed amount of work, for counting what a server spends
// per request); prints one JSON line: requests, errors, req/s, p50 and p99
// latency (ms).
package main

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	url := flag.String("url", "", "target URL")
	conns := flag.Int("c", 10, "concurrent connections")
	duration := flag.Duration("d", 5*time.Second, "duration")
	bodyBytes := flag.Int("body", 0, "POST a random body of this many bytes (0: GET)")
	total := flag.Int64("n", 0, "stop after this many requests in all (0: run for -d)")
	flag.Parse()
	body := make([]byte, *bodyBytes)
	if _, err := rand.Read(body); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}

	transport := &http.Transport{MaxIdleConnsPerHost: *conns, MaxConnsPerHost: *conns}
	client := &http.Client{Transport: transport, Timeout: 10 * time.Second}
	deadline := time.Now().Add(*duration)
	var mu sync.Mutex
	var latencies []time.Duration
	errors := 0
	var wg sync.WaitGroup
	var sent atomic.Int64
	more := func() bool {
		if *total > 0 {
			return sent.Add(1) <= *total
		}
		return time.Now().Before(deadline)
	}
	start := time.Now()
	for i := 0; i < *conns; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			local := make([]time.Duration, 0, 1<<16)
			failed := 0
			for more() {
				t := time.Now()
				var resp *http.Response
				var err error
				if *bodyBytes > 0 {
					resp, err = client.Post(*url, "application/octet-stream", bytes.NewReader(body))
				} else {
					resp, err = client.Get(*url)
				}
				if err == nil {
					_, err = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode < 200 || resp.StatusCode > 299 {
						failed++
						continue
					}
				}
				if err != nil {
					failed++
					continue
				}
				local = append(local, time.Since(t))
			}
			mu.Lock()
			latencies = append(latencies, local...)
			errors += failed
			mu.Unlock()
		}()
	}
	wg.Wait()
	elapsed := time.Since(start).Seconds()
	sort.Slice(latencies, func(a, b int) bool { return latencies[a] < latencies[b] })
	pct := func(p float64) float64 {
		if len(latencies) == 0 {
			return 0
		}
		return float64(latencies[int(p*float64(len(latencies)-1))].Microseconds()) / 1000
	}
	out, _ := json.Marshal(map[string]float64{
		"requests": float64(len(latencies)), "errors": float64(errors),
		"rps": float64(len(latencies)) / elapsed, "p50_ms": pct(0.50), "p99_ms": pct(0.99),
	})
	fmt.Fprintln(os.Stdout, string(out))
}
