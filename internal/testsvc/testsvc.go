// Package testsvc gives integration tests the real services they run
// against: a versitygw S3 gateway started per test over a temporary folder,
// a dedicated Redis database flushed before and after the test, and a fresh
// PostgreSQL schema dropped afterwards.
//
// Where the services are comes from the environment the test script
// (scripts/services.sh) exports: CALLQA_TEST_REDIS (host:port, default
// 127.0.0.1:6379), CALLQA_TEST_POSTGRES (a postgres:// URL, default
// postgres://postgres@127.0.0.1:5432/test?sslmode=disable) and
// CALLQA_TEST_VERSITYGW (the versitygw binary; default: $PATH, then
// $GOPATH/bin). When a service is missing the test is skipped with the
// reason, except when CI is set: then it fails.
package testsvc

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/redis/go-redis/v9"
)

// Missing skips the test because a service is not available, or fails it
// when the CI environment variable is set.
func Missing(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if os.Getenv("CI") != "" {
		t.Fatalf("required service missing (CI is set): %s", msg)
	}
	t.Skipf("service missing: %s (run scripts/services.sh)", msg)
}

// S3 is a running S3 server.
type S3 struct {
	Endpoint  string // host:port
	AccessKey string
	SecretKey string
	Dir       string // the folder behind it: <Dir>/<bucket>/<key>
}

// StartS3 starts versitygw on a free loopback port over a temporary folder
// and stops it when the test ends.
func StartS3(t testing.TB) *S3 {
	t.Helper()
	bin := versitygw()
	if bin == "" {
		Missing(t, "versitygw not found (go install github.com/versity/versitygw/cmd/versitygw@v1.8.0)")
	}
	dir := t.TempDir()
	s := &S3{AccessKey: "callqa-test", SecretKey: "callqa-test-secret", Dir: dir}
	for attempt := 0; ; attempt++ {
		port, err := freePort()
		if err != nil {
			t.Fatalf("free port: %v", err)
		}
		s.Endpoint = fmt.Sprintf("127.0.0.1:%d", port)
		cmd := exec.Command(bin, "--port", s.Endpoint, "--quiet", "posix", dir)
		cmd.Env = append(os.Environ(), "ROOT_ACCESS_KEY_ID="+s.AccessKey, "ROOT_SECRET_ACCESS_KEY="+s.SecretKey)
		logf, err := os.Create(filepath.Join(t.TempDir(), "versitygw.log"))
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stdout, cmd.Stderr = logf, logf
		if err := cmd.Start(); err != nil {
			t.Fatalf("start versitygw: %v", err)
		}
		exited := make(chan struct{})
		go func() { cmd.Wait(); logf.Close(); close(exited) }()
		if waitHTTP("http://"+s.Endpoint+"/", exited, 15*time.Second) {
			t.Cleanup(func() {
				cmd.Process.Signal(os.Interrupt)
				select {
				case <-exited:
				case <-time.After(5 * time.Second):
					cmd.Process.Kill()
					<-exited
				}
			})
			return s
		}
		cmd.Process.Kill()
		<-exited
		if attempt == 2 {
			log, _ := os.ReadFile(logf.Name())
			t.Fatalf("versitygw did not start on %s: %s", s.Endpoint, log)
		}
	}
}

func versitygw() string {
	if p := os.Getenv("CALLQA_TEST_VERSITYGW"); p != "" {
		return p
	}
	if p, err := exec.LookPath("versitygw"); err == nil {
		return p
	}
	gopath := os.Getenv("GOPATH")
	if gopath == "" {
		home, _ := os.UserHomeDir()
		gopath = filepath.Join(home, "go")
	}
	p := filepath.Join(strings.Split(gopath, string(os.PathListSeparator))[0], "bin", "versitygw")
	if _, err := os.Stat(p); err == nil {
		return p
	}
	return ""
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// waitHTTP polls u until it answers with any HTTP status, the process
// exits, or the timeout passes.
func waitHTTP(u string, exited <-chan struct{}, timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	client := &http.Client{Timeout: time.Second}
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return false
		default:
		}
		if resp, err := client.Get(u); err == nil {
			resp.Body.Close()
			return true
		}
		time.Sleep(50 * time.Millisecond)
	}
	return false
}

// RedisAddr returns host:port of the test Redis.
func RedisAddr() string {
	if a := os.Getenv("CALLQA_TEST_REDIS"); a != "" {
		return a
	}
	return "127.0.0.1:6379"
}

// Redis checks that Redis answers, flushes database db now and when the
// test ends, and returns Redis's address. Packages whose tests may run at
// the same time must use different db numbers (callqa uses 7 to 15).
func Redis(t testing.TB, db int) string {
	t.Helper()
	addr := RedisAddr()
	c := redis.NewClient(&redis.Options{Addr: addr, DB: db})
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if err := c.Ping(ctx).Err(); err != nil {
		c.Close()
		Missing(t, "redis at %s: %v", addr, err)
	}
	if err := c.FlushDB(ctx).Err(); err != nil {
		t.Fatalf("flush redis db %d: %v", db, err)
	}
	t.Cleanup(func() {
		c.FlushDB(context.Background())
		c.Close()
	})
	return addr
}

// PostgresBaseURL returns the URL of the test PostgreSQL database.
func PostgresBaseURL() string {
	if u := os.Getenv("CALLQA_TEST_POSTGRES"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
}

// Postgres creates a fresh schema in the test database, drops it when the
// test ends, and returns a URL whose search_path selects that schema.
func Postgres(t testing.TB) string {
	t.Helper()
	base := PostgresBaseURL()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		Missing(t, "postgres at %s: %v", base, err)
	}
	defer conn.Close(context.Background())
	var b [6]byte
	rand.Read(b[:])
	schema := "callqa_test_" + hex.EncodeToString(b[:])
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		c, err := pgx.Connect(ctx, base)
		if err != nil {
			t.Logf("drop schema %s: %v", schema, err)
			return
		}
		defer c.Close(ctx)
		if _, err := c.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Logf("drop schema %s: %v", schema, err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("postgres url: %v", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// Proxy listens on a free loopback port and forwards each connection to
// upstream: what the client sends goes through as is, and relay copies the
// answers from up to client, so that a test can cut or throttle them. It
// returns the proxy's address; it stops at the end of the test.
func Proxy(t testing.TB, upstream string, relay func(client io.Writer, up io.Reader)) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				u, err := net.Dial("tcp", upstream)
				if err != nil {
					return
				}
				defer u.Close()
				go io.Copy(u, c)
				relay(c, u)
			}()
		}
	}()
	return l.Addr().String()
}

// RedisServer is a redis-server process of one test.
type RedisServer struct {
	// Addr is its host:port.
	Addr string
	args []string
	dir  string
	cmd  *exec.Cmd
	done chan struct{}
}

// StartRedis starts redis-server on a free loopback port, without
// persistence (--save "" --appendonly no) unless args say otherwise, and
// stops it when the test ends. Tests that restart Redis, flush all of it
// or need its configuration changed use their own instead of the shared
// one.
func StartRedis(t testing.TB, args ...string) *RedisServer {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		Missing(t, "redis-server not found (apt-get install redis-server)")
	}
	port, err := freePort()
	if err != nil {
		t.Fatalf("free port: %v", err)
	}
	r := &RedisServer{Addr: fmt.Sprintf("127.0.0.1:%d", port), dir: t.TempDir(),
		args: append([]string{bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"}, args...)}
	r.start(t)
	t.Cleanup(func() { r.stop() })
	return r
}

func (r *RedisServer) start(t testing.TB) {
	t.Helper()
	r.cmd = exec.Command(r.args[0], append(r.args[1:], "--dir", r.dir)...)
	logf, err := os.Create(filepath.Join(r.dir, "redis.log"))
	if err != nil {
		t.Fatal(err)
	}
	r.cmd.Stdout, r.cmd.Stderr = logf, logf
	if err := r.cmd.Start(); err != nil {
		t.Fatalf("start redis-server: %v", err)
	}
	r.done = make(chan struct{})
	go func(cmd *exec.Cmd, done chan struct{}) { cmd.Wait(); logf.Close(); close(done) }(r.cmd, r.done)
	c := redis.NewClient(&redis.Options{Addr: r.Addr})
	defer c.Close()
	deadline := time.Now().Add(10 * time.Second)
	for c.Ping(context.Background()).Err() != nil {
		select {
		case <-r.done:
			log, _ := os.ReadFile(logf.Name())
			t.Fatalf("redis-server exited at start: %s", log)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("redis-server did not answer on %s", r.Addr)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// stop kills the server, as a crash or a power cut would.
func (r *RedisServer) stop() {
	if r.cmd == nil {
		return
	}
	r.cmd.Process.Kill()
	<-r.done
	r.cmd = nil
}

// Restart kills the server and starts it again on the same port: without
// persistence, it comes back empty.
func (r *RedisServer) Restart(t testing.TB) {
	t.Helper()
	r.stop()
	r.start(t)
}

// Backend is a results database under test.
type Backend struct {
	Name  string                    // "sqlite" or "postgres"
	Fresh func(t *testing.T) string // the URL of a fresh, empty database
}

// Backends returns SQLite (always) and PostgreSQL when CALLQA_TEST_POSTGRES
// names a server (required when CI is set); every Fresh call gets a new
// database (a temporary file, or a schema dropped at the end of the test).
func Backends(t *testing.T) []Backend {
	t.Helper()
	bs := []Backend{{Name: "sqlite", Fresh: func(t *testing.T) string {
		return "sqlite:" + filepath.Join(t.TempDir(), "results.db")
	}}}
	if os.Getenv("CALLQA_TEST_POSTGRES") == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("CALLQA_TEST_POSTGRES is not set, and CI is: the PostgreSQL backend must be tested")
		}
		t.Log("PostgreSQL backend skipped: set CALLQA_TEST_POSTGRES=postgres://postgres@127.0.0.1:5432/test?sslmode=disable to test it")
		return bs
	}
	return append(bs, Backend{Name: "postgres", Fresh: func(t *testing.T) string { return Postgres(t) }})
}
