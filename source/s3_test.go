package source_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"

	"github.com/callqa/callqa/internal/testsvc"
	"github.com/callqa/callqa/source"
)

// s3Setup starts versitygw, creates a bucket and returns a source on it.
func s3Setup(t *testing.T, prefix string) (*source.S3, *testsvc.S3) {
	t.Helper()
	srv := testsvc.StartS3(t)
	ctx := context.Background()
	src, err := source.NewS3(ctx, source.S3Config{
		Endpoint: srv.Endpoint, Bucket: "recordings", AccessKey: srv.AccessKey, SecretKey: srv.SecretKey, Prefix: prefix,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := src.Client().MakeBucket(ctx, "recordings", minio.MakeBucketOptions{}); err != nil {
		t.Fatal(err)
	}
	return src, srv
}

func TestS3ConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		cfg  source.S3Config
		want string // substring of the error, "" for valid
	}{
		{"valid", source.S3Config{Endpoint: "minio:9000", Bucket: "b", AccessKey: "a", SecretKey: "s"}, ""},
		{"anonymous", source.S3Config{Endpoint: "minio:9000", Bucket: "b"}, ""},
		{"no endpoint", source.S3Config{Bucket: "b"}, "Endpoint"},
		{"scheme", source.S3Config{Endpoint: "http://minio:9000", Bucket: "b"}, "Endpoint"},
		{"no bucket", source.S3Config{Endpoint: "minio:9000"}, "Bucket"},
		{"half keys", source.S3Config{Endpoint: "minio:9000", Bucket: "b", AccessKey: "a"}, "SecretKey"},
		{"retries", source.S3Config{Endpoint: "minio:9000", Bucket: "b", MaxRetries: -1}, "MaxRetries"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("Validate() = %v, want nil", err)
			case tt.want != "" && (err == nil || !bytes.Contains([]byte(err.Error()), []byte(tt.want))):
				t.Fatalf("Validate() = %v, want an error naming %s", err, tt.want)
			}
		})
	}
}

func TestS3SourceOpen(t *testing.T) {
	src, _ := s3Setup(t, "calls")
	ctx := context.Background()
	wav := bytes.Repeat([]byte("RIFFdata"), 5000)
	if err := src.Put(ctx, "2026/11/25/C1.wav", wav); err != nil {
		t.Fatal(err)
	}
	if err := src.WriteSidecar(ctx, "2026/11/25/C1.wav", ".meta.json", []byte(`{"call_id":"C1"}`)); err != nil {
		t.Fatal(err)
	}

	t.Run("recording", func(t *testing.T) {
		rc, err := src.Open(ctx, "2026/11/25/C1.wav")
		if err != nil {
			t.Fatal(err)
		}
		defer rc.Close()
		sized, ok := rc.(interface{ Size() int64 })
		if !ok || sized.Size() != int64(len(wav)) {
			t.Fatalf("Size() = %v (ok %v), want %d", sized, ok, len(wav))
		}
		got, err := io.ReadAll(rc)
		if err != nil || !bytes.Equal(got, wav) {
			t.Fatalf("read %d bytes, err %v; want %d bytes", len(got), err, len(wav))
		}
	})
	t.Run("sidecar under prefix", func(t *testing.T) {
		rc, err := src.OpenSidecar(ctx, "2026/11/25/C1.wav", ".meta.json")
		if err != nil {
			t.Fatal(err)
		}
		defer rc.Close()
		got, _ := io.ReadAll(rc)
		if string(got) != `{"call_id":"C1"}` {
			t.Fatalf("sidecar = %q", got)
		}
		// The prefix is part of the object key.
		if _, err := src.Client().StatObject(ctx, "recordings", "calls/2026/11/25/C1.meta.json", minio.StatObjectOptions{}); err != nil {
			t.Fatalf("sidecar not at calls/...: %v", err)
		}
	})
	for _, tt := range []struct{ name, key, suffix string }{
		{"missing recording", "2026/11/25/C2.wav", ""},
		{"missing sidecar", "2026/11/25/C1.wav", ".transcript.json"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var err error
			if tt.suffix == "" {
				_, err = src.Open(ctx, tt.key)
			} else {
				_, err = src.OpenSidecar(ctx, tt.key, tt.suffix)
			}
			if !errors.Is(err, source.ErrNotFound) || !errors.Is(err, fs.ErrNotExist) || !source.IsNotFound(err) {
				t.Fatalf("err = %v, want ErrNotFound", err)
			}
		})
	}
	t.Run("presign", func(t *testing.T) {
		u, err := src.PresignGet(ctx, "2026/11/25/C1.wav", time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.Get(u.String())
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		got, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 || !bytes.Equal(got, wav) {
			t.Fatalf("GET presigned: %s, %d bytes", resp.Status, len(got))
		}
	})
	t.Run("ping", func(t *testing.T) {
		if err := src.Ping(ctx); err != nil {
			t.Fatal(err)
		}
	})
}

func TestS3SourceList(t *testing.T) {
	src, _ := s3Setup(t, "")
	ctx := context.Background()
	// More keys than one ListObjectsV2 page (1000) so that pagination is
	// exercised, plus non-recordings and another day that must not appear.
	const n = 1003
	var want []string
	keys := make(chan string)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var putErr error
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range keys {
				if err := src.Put(ctx, k, []byte("x")); err != nil {
					mu.Lock()
					putErr = err
					mu.Unlock()
				}
			}
		}()
	}
	for i := range n {
		k := fmt.Sprintf("2026/11/25/team%d/C%04d.wav", i%3, i)
		if i%10 == 0 {
			k = fmt.Sprintf("2026/11/25/C%04d.WAV", i) // extension case does not matter
		}
		want = append(want, k)
		keys <- k
	}
	keys <- "2026/11/25/C0001.meta.json"
	keys <- "2026/11/25/notes.txt"
	keys <- "2026/11/26/C9999.wav"
	close(keys)
	wg.Wait()
	if putErr != nil {
		t.Fatal(putErr)
	}

	var got []string
	err := src.List(ctx, "2026/11/25/", func(o source.Object) error {
		if o.Size != 1 || o.ModTime.IsZero() {
			t.Errorf("%s: size %d, modtime %v", o.Key, o.Size, o.ModTime)
		}
		got = append(got, o.Key)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(want)
	sort.Strings(got)
	if len(got) != len(want) {
		t.Fatalf("listed %d recordings, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("listed[%d] = %s, want %s", i, got[i], want[i])
		}
	}

	stop := errors.New("stop")
	calls := 0
	err = src.List(ctx, "2026/11/25/", func(source.Object) error { calls++; return stop })
	if !errors.Is(err, stop) || calls != 1 {
		t.Fatalf("List with failing fn: err %v after %d calls, want stop after 1", err, calls)
	}
}

// TestS3SourceCutConnection cuts the connection in the middle of a body:
// the read error must be transient (ErrInterrupted), not a truncation.
func TestS3SourceCutConnection(t *testing.T) {
	src, srv := s3Setup(t, "")
	ctx := context.Background()
	body := bytes.Repeat([]byte{1, 2, 3, 4}, 64<<10) // 256 KiB
	if err := src.Put(ctx, "C1.wav", body); err != nil {
		t.Fatal(err)
	}
	proxy := cuttingProxy(t, srv.Endpoint, 64<<10)
	cut, err := source.NewS3(ctx, source.S3Config{
		Endpoint: proxy, Bucket: "recordings", AccessKey: srv.AccessKey, SecretKey: srv.SecretKey, MaxRetries: 1,
	})
	if err != nil {
		t.Fatal(err)
	}
	rc, err := cut.Open(ctx, "C1.wav")
	if err != nil {
		t.Fatalf("open through proxy: %v", err)
	}
	defer rc.Close()
	n, err := io.Copy(io.Discard, rc)
	if n >= int64(len(body)) {
		t.Fatalf("read the whole body (%d bytes) through a cutting proxy", n)
	}
	if !errors.Is(err, source.ErrInterrupted) || errors.Is(err, io.ErrUnexpectedEOF) || source.IsNotFound(err) {
		t.Fatalf("read error after %d bytes = %v, want ErrInterrupted only", n, err)
	}
}

// cuttingProxy forwards TCP connections to upstream and closes each one
// after sending limit bytes back to the client.
func cuttingProxy(t *testing.T, upstream string, limit int64) string {
	return testsvc.Proxy(t, upstream, func(c io.Writer, u io.Reader) { io.CopyN(c, u, limit) })
}

// TestS3SourceNoBucketOrAccess: only a missing key in an existing bucket is
// ErrNotFound (bad input for that call). A missing bucket is ErrNoBucket
// and wrong credentials are an error of their own: both transient, never
// "not found", or a night of calls would be stored unprocessable.
func TestS3SourceNoBucketOrAccess(t *testing.T) {
	src, srv := s3Setup(t, "calls")
	ctx := context.Background()
	if err := src.Put(ctx, "2026/11/25/C1.wav", []byte("RIFF")); err != nil {
		t.Fatal(err)
	}
	open := func(bucket, secret string) *source.S3 {
		s, err := source.NewS3(ctx, source.S3Config{Endpoint: srv.Endpoint, Bucket: bucket,
			AccessKey: srv.AccessKey, SecretKey: secret, Prefix: "calls", MaxRetries: 1})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	tests := []struct {
		name         string
		src          *source.S3
		key          string
		wantNotFound bool
		wantNoBucket bool
	}{
		{"missing key", src, "2026/11/25/C2.wav", true, false},
		{"missing bucket", open("recordngs", srv.SecretKey), "2026/11/25/C1.wav", false, true},
		{"wrong secret key", open("recordings", "not-the-secret"), "2026/11/25/C1.wav", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			check := func(op string, err error, wantNotFound, wantNoBucket bool) {
				t.Helper()
				if err == nil {
					t.Fatalf("%s: no error", op)
				}
				if got := source.IsNotFound(err); got != wantNotFound {
					t.Errorf("%s: IsNotFound(%v) = %v, want %v", op, err, got, wantNotFound)
				}
				if got := errors.Is(err, source.ErrNoBucket); got != wantNoBucket {
					t.Errorf("%s: errors.Is(%v, ErrNoBucket) = %v, want %v", op, err, got, wantNoBucket)
				}
			}
			_, err := tt.src.Open(ctx, tt.key)
			check("Open", err, tt.wantNotFound, tt.wantNoBucket)
			_, err = tt.src.OpenSidecar(ctx, tt.key, ".meta.json")
			check("OpenSidecar", err, tt.wantNotFound, tt.wantNoBucket)
			if tt.src == src {
				return // listing and pinging the real bucket succeed
			}
			check("List", tt.src.List(ctx, "2026/11/25/", func(source.Object) error { return nil }), false, tt.wantNoBucket)
			check("Ping", tt.src.Ping(ctx), false, tt.wantNoBucket)
		})
	}
}

// TestS3SourceUnreachable: a server that refuses connections (nothing
// listens on the port) or a name that does not resolve is
// ErrUnreachable, for every request; it is never "object read
// interrupted" (no body was read), nor a missing object or bucket.
func TestS3SourceUnreachable(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := l.Addr().String()
	l.Close()
	for _, tt := range []struct{ name, endpoint string }{
		{"connection refused", closed},
		{"name not resolved", "callqa-no-such-host.invalid:9000"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			src, err := source.NewS3(ctx, source.S3Config{Endpoint: tt.endpoint, Bucket: "recordings",
				AccessKey: "a", SecretKey: "s", MaxRetries: 1})
			if err != nil {
				t.Fatal(err)
			}
			_, openErr := src.Open(ctx, "2026/11/25/C1.wav")
			_, sidecarErr := src.OpenSidecar(ctx, "2026/11/25/C1.wav", ".meta.json")
			for op, err := range map[string]error{
				"Open":        openErr,
				"OpenSidecar": sidecarErr,
				"List":        src.List(ctx, "2026/11/25/", func(source.Object) error { return nil }),
				"Ping":        src.Ping(ctx),
				"Put":         src.Put(ctx, "2026/11/25/C1.transcript.json", []byte("{}")),
			} {
				if !errors.Is(err, source.ErrUnreachable) || errors.Is(err, source.ErrInterrupted) ||
					source.IsNotFound(err) || errors.Is(err, source.ErrNoBucket) {
					t.Errorf("%s: %v; want ErrUnreachable only", op, err)
				}
				if err != nil && strings.Contains(err.Error(), "interrupted") {
					t.Errorf("%s: message %q says interrupted", op, err)
				}
			}
		})
	}
}
