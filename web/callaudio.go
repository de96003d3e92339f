package web

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/callqa/callqa/models"
	"github.com/callqa/callqa/workbench"
)

// listenDedupe is how long one session's playback of one call counts as
// one listen in the audit trail.
const listenDedupe = 30 * time.Minute

// listenKey is a session listening to a call (its recording).
type listenKey struct{ session, recording string }

// recordListen records a playback in the audit trail, once per session and
// call within listenDedupe.
func (s *Server) recordListen(r *http.Request, c callRef) error {
	ctx := r.Context()
	sess := sessionFrom(ctx)
	k := listenKey{sess.User.Name + "\x00" + sess.CSRF, c.Rec}
	now := s.now()
	s.listenMu.Lock()
	if last, ok := s.listens[k]; ok && now.Sub(last) < listenDedupe && now.Sub(last) >= 0 {
		s.listenMu.Unlock()
		return nil
	}
	s.listens[k] = now
	if len(s.listens) > 1024 {
		for x, at := range s.listens {
			if now.Sub(at) >= listenDedupe {
				delete(s.listens, x)
			}
		}
	}
	s.listenMu.Unlock()
	err := s.audit(ctx, workbench.AuditEntry{User: sess.User.Name, Action: workbench.AuditPlayback, CallID: c.ID,
		Recording: c.Rec, Detail: c.Rec, Remote: remoteAddr(r)})
	if err != nil {
		s.listenMu.Lock()
		if s.listens[k].Equal(now) {
			delete(s.listens, k)
		}
		s.listenMu.Unlock()
	}
	return err
}

// listenWriter calls listen when a response starts serving audio bytes
// (status 200 or 206, whatever the Range and If-Range headers); if listen
// fails, the audio is not sent and fail answers instead.
type listenWriter struct {
	http.ResponseWriter
	listen  func() error
	fail    func(error)
	started bool
	failed  bool
}

func (w *listenWriter) WriteHeader(code int) {
	if w.started {
		return
	}
	w.started = true
	if code == http.StatusOK || code == http.StatusPartialContent {
		if err := w.listen(); err != nil {
			w.failed = true
			for _, h := range []string{"Content-Type", "Content-Length", "Content-Range", "Accept-Ranges", "Last-Modified", "Etag"} {
				w.Header().Del(h)
			}
			w.fail(err)
			return
		}
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *listenWriter) Write(p []byte) (int, error) {
	if !w.started {
		w.WriteHeader(http.StatusOK)
	}
	if w.failed {
		return 0, errors.New("playback not audited")
	}
	return w.ResponseWriter.Write(p)
}

// callAudio streams the call's recording with Range support: PCM16 WAV as
// stored, anything else (G.711, float, 24-bit...) transcoded to PCM16 WAV.
// Every GET answered with audio bytes (200 or 206, whatever its Range) is a
// listen, recorded in the audit trail once per session and call within
// listenDedupe; a request answered with an error, and HEAD, are not. The
// audio is not served if the record fails.
func (s *Server) callAudio(w http.ResponseWriter, r *http.Request) {
	c, err := s.callOf(r)
	if err != nil {
		s.failCall(w, r, err)
		return
	}
	ctx := r.Context()
	sv, err := s.scorecardFor(r)
	if err != nil {
		s.failCall(w, r, err)
		return
	}
	res, _, err := s.callResult(ctx, c, sv)
	if err != nil {
		s.failCall(w, r, err)
		return
	}
	serve := func(content io.ReadSeeker) {
		out := w
		if r.Method != http.MethodHead {
			out = &listenWriter{ResponseWriter: w,
				listen: func() error { return s.recordListen(r, c) },
				fail:   func(err error) { s.fail(w, r, http.StatusInternalServerError, err) }}
		}
		w.Header().Set("Content-Type", "audio/wav")
		w.Header().Set("Cache-Control", "private, no-store")
		http.ServeContent(out, r, "", zeroTime, content)
	}
	passThrough := res.Audio != nil && res.Audio.Format == "pcm_s16le"
	if passThrough {
		rc, err := s.src.Open(ctx, res.Recording)
		if err != nil {
			s.failAudio(w, r, err)
			return
		}
		if rs, ok := rc.(io.ReadSeeker); ok {
			defer rc.Close()
			serve(rs)
			return
		}
		// A stream without Seek (an S3 object): go through the cache.
		rc.Close()
	}
	f, release, err := s.audio.open(ctx, res.Recording, func(ctx context.Context, out *os.File) error {
		rc, err := s.src.Open(ctx, res.Recording)
		if err != nil {
			return err
		}
		defer rc.Close()
		if passThrough {
			_, err = io.Copy(out, rc)
			return err
		}
		_, err = transcodePCM16(ctx, rc, -1, out)
		return err
	})
	if err != nil {
		s.failAudio(w, r, err)
		return
	}
	defer release()
	serve(f)
}

func (s *Server) failAudio(w http.ResponseWriter, r *http.Request, err error) {
	w.Header().Del("Content-Type")
	if isNotExist(err) {
		s.fail(w, r, http.StatusNotFound, errors.New("录音文件不存在"))
		return
	}
	if errors.Is(err, models.ErrBadInput) {
		s.fail(w, r, http.StatusUnprocessableEntity, fmt.Errorf("录音无法解码：%v", err))
		return
	}
	s.fail(w, r, http.StatusInternalServerError, err)
}

var zeroTime time.Time
