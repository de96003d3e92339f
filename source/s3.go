package source

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"path"
	"runtime/trace"
	"strings"
	"syscall"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/callqa/callqa/models"
)

// ErrInterrupted is returned (wrapped) when reading an object stops before
// its end, typically because the connection was cut mid-body. minio-go does
// not retry a body that has started to arrive, so the whole read must be
// retried later: it is a transient fault, never a truncated recording. It
// deliberately does not match io.ErrUnexpectedEOF, which decoders use to
// recognise a recording whose data chunk really ends early.
var ErrInterrupted = errors.New("object read interrupted")

// ErrNoBucket is returned (wrapped) when the source's bucket does not exist
// (S3 code NoSuchBucket): a mistyped or not yet created bucket, or a server
// pointed at the wrong data. It is a fault of the deployment, not of any
// call, so it deliberately does not match ErrNotFound: callers must treat
// it as transient (retry, and alert) rather than store every call of the
// night as unprocessable.
var ErrNoBucket = errors.New("bucket does not exist")

// ErrUnreachable is returned (wrapped) when a request never reached the S3
// server: the connection was refused, the name did not resolve, the route
// or the dial timed out. It is transient (the server is down or being
// restarted, a network is partitioned), and unlike ErrInterrupted it says
// that no byte of any object was read.
var ErrUnreachable = errors.New("object store unreachable")

// S3Config says where the recordings bucket is. Zero values mean the
// documented defaults.
type S3Config struct {
	// Endpoint is host[:port] of the S3 server, without a scheme. Required.
	Endpoint string
	// Bucket holds the recordings. Required.
	Bucket string
	// AccessKey and SecretKey are static credentials. Both empty means
	// anonymous access.
	AccessKey, SecretKey string
	// UseSSL selects https. Default false (plain http, as in a compose file).
	UseSSL bool
	// Region of the bucket. Default "us-east-1" (what MinIO and versitygw use),
	// which also spares a GetBucketLocation round trip.
	Region string
	// Prefix is prepended to every key: a source "s3://bucket/recordings"
	// has Prefix "recordings/" and keys such as "2026/11/25/C1.wav".
	// Default "" (keys are object keys).
	Prefix string
	// MaxRetries is how many times minio-go tries one request. Default 3.
	// minio-go's own default is 10 attempts with backoff; callqa's queue
	// retries failed tasks again with its own backoff, so 10 here would
	// multiply into minutes of blocking on a dead server per task.
	MaxRetries int
}

// Validate reports the first missing or invalid field.
func (c S3Config) Validate() error {
	switch {
	case c.Endpoint == "":
		return errors.New("S3Config.Endpoint is required")
	case strings.Contains(c.Endpoint, "://"):
		return fmt.Errorf("S3Config.Endpoint %q must be host[:port], without a scheme", c.Endpoint)
	case c.Bucket == "":
		return errors.New("S3Config.Bucket is required")
	case (c.AccessKey == "") != (c.SecretKey == ""):
		return errors.New("S3Config.AccessKey and S3Config.SecretKey must be set together")
	case c.MaxRetries < 0:
		return fmt.Errorf("S3Config.MaxRetries %d must not be negative", c.MaxRetries)
	}
	return nil
}

func (c S3Config) withDefaults() S3Config {
	if c.Region == "" {
		c.Region = "us-east-1"
	}
	if c.MaxRetries == 0 {
		c.MaxRetries = 3
	}
	if c.Prefix != "" && !strings.HasSuffix(c.Prefix, "/") {
		c.Prefix += "/"
	}
	c.Prefix = strings.TrimPrefix(c.Prefix, "/")
	return c
}

// S3 reads recordings and sidecars from an S3 bucket (MinIO, or any
// S3-compatible server) and writes sidecars back. It is safe for concurrent
// use.
type S3 struct {
	cfg    S3Config
	client *minio.Client
}

// NewS3 connects to the bucket described by cfg. It does not contact
// the server; use Ping to check that the bucket answers.
func NewS3(ctx context.Context, cfg S3Config) (*S3, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("s3 source: %w", err)
	}
	cfg = cfg.withDefaults()
	var creds *credentials.Credentials
	if cfg.AccessKey != "" {
		creds = credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, "")
	} else {
		creds = credentials.NewStatic("", "", "", credentials.SignatureAnonymous)
	}
	client, err := minio.New(cfg.Endpoint, &minio.Options{
		Creds:      creds,
		Secure:     cfg.UseSSL,
		Region:     cfg.Region,
		MaxRetries: cfg.MaxRetries,
	})
	if err != nil {
		return nil, fmt.Errorf("s3 source %s: %w", cfg.Endpoint, err)
	}
	_ = ctx // reserved: minio.New does no I/O
	return &S3{cfg: cfg, client: client}, nil
}

// Client returns the underlying minio client (for tests and tools that
// upload recordings).
func (s *S3) Client() *minio.Client { return s.client }

// Bucket returns the bucket name.
func (s *S3) Bucket() string { return s.cfg.Bucket }

// String describes the source as an s3:// URL.
func (s *S3) String() string {
	return "s3://" + s.cfg.Bucket + "/" + s.cfg.Prefix
}

// Ping checks that the bucket exists and answers.
func (s *S3) Ping(ctx context.Context) error {
	ok, err := s.client.BucketExists(ctx, s.cfg.Bucket)
	if err != nil {
		return fmt.Errorf("s3 ping %s: %w", s.cfg.Bucket, classify(err))
	}
	if !ok {
		return fmt.Errorf("s3 ping: bucket %s: %w", s.cfg.Bucket, ErrNoBucket)
	}
	return nil
}

// List calls fn for every .wav recording under prefix (relative to the
// source's Prefix), recursively, in key order. Listing is paginated by the
// server (1000 keys a page) and streamed: millions of keys are never held in
// memory. An error from fn stops the listing and is returned.
func (s *S3) List(ctx context.Context, prefix string, fn func(Object) error) error {
	opts := minio.ListObjectsOptions{Prefix: s.cfg.Prefix + prefix, Recursive: true}
	for info := range s.client.ListObjectsIter(ctx, s.cfg.Bucket, opts) {
		if info.Err != nil {
			return fmt.Errorf("s3 list %s: %w", opts.Prefix, classify(info.Err))
		}
		if !strings.EqualFold(path.Ext(info.Key), ".wav") {
			continue
		}
		obj := Object{
			Key:     strings.TrimPrefix(info.Key, s.cfg.Prefix),
			Size:    info.Size,
			ModTime: info.LastModified,
		}
		if err := fn(obj); err != nil {
			return err
		}
	}
	return ctx.Err()
}

// S3Object is an open object. Read errors are classified: a body cut
// short matches ErrInterrupted.
type S3Object struct {
	ctx  context.Context // for the execution trace's regions only
	key  string
	body io.ReadCloser
	info minio.ObjectInfo
	read int64
}

// Read reads from the object body.
func (o *S3Object) Read(p []byte) (int, error) {
	defer trace.StartRegion(o.ctx, "s3 read").End()
	n, err := o.body.Read(p)
	o.read += int64(n)
	if err == io.EOF && o.read < o.info.Size {
		// The server promised more bytes than it sent.
		return n, fmt.Errorf("s3 read %s: got %d of %d bytes: %w", o.key, o.read, o.info.Size, ErrInterrupted)
	}
	if err != nil && err != io.EOF {
		return n, fmt.Errorf("s3 read %s: %w", o.key, classifyRead(err))
	}
	return n, err
}

// drainMax is how much of an object's body Close reads to reuse the
// connection: more is cheaper to drop (a new connection) than to read.
const drainMax = 256 << 10

// Close releases the connection. A body not read to its end (a JSON
// decoder stops after its value, the WAV decoder after the data chunk,
// before the trailing LIST chunk) is read to its end first when at most
// drainMax bytes are left: Go's HTTP client reuses a connection only for
// a body read to EOF, and every GET would otherwise open a new TCP (and
// TLS) connection: three per call.
func (o *S3Object) Close() error {
	if rest := o.info.Size - o.read; rest >= 0 && rest <= drainMax {
		io.Copy(io.Discard, o.body) // bounded by the body's Content-Length
	}
	return o.body.Close()
}

// Size returns the object's length in bytes.
func (o *S3Object) Size() int64 { return o.info.Size }

// ModTime returns the object's last modification time.
func (o *S3Object) ModTime() time.Time { return o.info.LastModified }

// Open opens the recording at key with one GET request, made here, so that
// a missing object is reported now and the returned object knows its Size.
// A missing key matches ErrNotFound; a missing bucket matches ErrNoBucket
// (not ErrNotFound); anything else (access denied, network) is transient.
func (s *S3) Open(ctx context.Context, key string) (io.ReadCloser, error) {
	return s.open(ctx, key)
}

// open GETs the object. It does not use the lazy minio.Object: its Stat
// is a HEAD request, whose 404 has no body, and minio-go reports every
// HEAD 404 on an object as NoSuchKey, even when the bucket is missing
// (checked against versitygw). A GET's error body names the real code.
func (s *S3) open(ctx context.Context, key string) (*S3Object, error) {
	full := s.cfg.Prefix + key
	r := trace.StartRegion(ctx, "s3 get")
	body, info, _, err := minio.Core{Client: s.client}.GetObject(ctx, s.cfg.Bucket, full, minio.GetObjectOptions{})
	r.End()
	if err != nil {
		return nil, fmt.Errorf("s3 open %s: %w", key, classify(err))
	}
	return &S3Object{ctx: ctx, key: key, body: body, info: info}, nil
}

// OpenSidecar opens the sidecar of the recording at key with the given
// suffix (e.g. models.SuffixMeta). A missing sidecar matches ErrNotFound.
func (s *S3) OpenSidecar(ctx context.Context, key, suffix string) (io.ReadCloser, error) {
	return s.open(ctx, models.SidecarKey(key, suffix))
}

// WriteSidecar stores data as the sidecar of the recording at key.
func (s *S3) WriteSidecar(ctx context.Context, key, suffix string, data []byte) error {
	return s.Put(ctx, models.SidecarKey(key, suffix), data)
}

// Put stores data at key (relative to the source's Prefix).
func (s *S3) Put(ctx context.Context, key string, data []byte) error {
	ct := "application/octet-stream"
	switch {
	case strings.HasSuffix(key, ".json"):
		ct = "application/json"
	case strings.EqualFold(path.Ext(key), ".wav"):
		ct = "audio/wav"
	}
	_, err := s.client.PutObject(ctx, s.cfg.Bucket, s.cfg.Prefix+key, bytes.NewReader(data), int64(len(data)),
		minio.PutObjectOptions{ContentType: ct})
	if err != nil {
		return fmt.Errorf("s3 put %s: %w", key, classify(err))
	}
	return nil
}

// PresignGet returns a URL that lets a browser GET the object at key for
// ttl (at most 7 days, as S3 allows), e.g. to play a recording back.
func (s *S3) PresignGet(ctx context.Context, key string, ttl time.Duration) (*url.URL, error) {
	u, err := s.client.PresignedGetObject(ctx, s.cfg.Bucket, s.cfg.Prefix+key, ttl, nil)
	if err != nil {
		return nil, fmt.Errorf("s3 presign %s: %w", key, err)
	}
	return u, nil
}

// classify maps the errors of a request (GET, LIST, PUT, HEAD) at the
// storage boundary:
//
//   - NoSuchKey (the object does not exist in an existing bucket) becomes
//     ErrNotFound: bad input for that one call;
//   - NoSuchBucket becomes ErrNoBucket: a deployment fault, transient;
//   - a request that never reached the server (connection refused, name
//     not resolved, dial timeout) becomes ErrUnreachable: transient;
//   - everything else is returned as is and is transient for callers: the
//     request reached no verdict about the object. That includes
//     AccessDenied and SignatureDoesNotMatch (wrong or rotated
//     credentials, a bucket policy being changed): an operator fixes
//     those, and the calls must then be inspected, not left unprocessable.
//
// A body cut short is classified by classifyRead, on Read: a request
// error is never "object read interrupted".
func classify(err error) error {
	switch minio.ToErrorResponse(err).Code {
	case minio.NoSuchKey:
		return fmt.Errorf("%w (%v)", ErrNotFound, err)
	case minio.NoSuchBucket:
		return fmt.Errorf("%w (%v)", ErrNoBucket, err)
	}
	if unreachable(err) {
		return fmt.Errorf("%w: %w", ErrUnreachable, err)
	}
	return err
}

// classifyRead maps the errors of reading an object's body: the body
// ending before its length, or the connection failing under it, becomes
// ErrInterrupted (transient: minio-go does not retry a body that has
// started to arrive). A cancelled or expired context is returned as is.
func classifyRead(err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("%w: %v", ErrInterrupted, err)
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return fmt.Errorf("%w: %w", ErrInterrupted, err)
	}
	return classify(err)
}

// unreachable reports whether err says that a connection to the server
// could not be made: a refused or unroutable dial, a dial timeout, or a
// name that did not resolve.
func unreachable(err error) bool {
	var dns *net.DNSError
	if errors.As(err, &dns) {
		return true
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return true
	}
	return errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.EHOSTUNREACH) ||
		errors.Is(err, syscall.ENETUNREACH)
}
