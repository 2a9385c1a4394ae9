package conformance

import (
	"crypto/rand"
	"encoding/hex"
	"strconv"
)

func randomID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	h := hex.EncodeToString(b)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

func itoa(i int) string { return strconv.Itoa(i) }
