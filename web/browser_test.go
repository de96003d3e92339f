package web

import (
	"context"
	"flag"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/callqa/callqa/models"
	"github.com/callqa/callqa/workbench"
)

var updateScreenshots = flag.Bool("update-screenshots", false, "copy the call page screenshot to docs/screenshot-call.png")

// chromiumPath finds Debian's chromium; the test skips without it locally
// and fails when CI is set.
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, p := range []string{"/usr/bin/chromium", "/usr/bin/chromium-browser"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	if os.Getenv("CI") != "" {
		t.Fatal("chromium is not installed (apt-get install -y chromium)")
	}
	t.Skip("chromium is not installed")
	return ""
}

// TestBrowserReview drives a real browser: a reviewer logs in, opens the
// flagged call from the queue, plays it (the audio element's duration must
// match the recording), clicks a finding (the player must seek to it),
// overturns the call's findings and sees the reviewed pass rate change on
// the dashboard. Screenshots go to $CALLQA_ARTIFACTS (default: a temporary
// folder).
func TestBrowserReview(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	chromium := chromiumPath(t)
	artifacts := os.Getenv("CALLQA_ARTIFACTS")
	if artifacts == "" {
		artifacts = t.TempDir()
	}
	if err := os.MkdirAll(artifacts, 0o755); err != nil {
		t.Fatal(err)
	}
	// The default configuration, Secure cookies included: Chromium accepts
	// them from http://127.0.0.1, as a supervisor's trial on the samples needs.
	b := setup(t, Config{CalibrationRate: -1})
	call := callTaboo
	res := b.result(t, call)
	var deducting []int
	for i, f := range res.Findings {
		if f.Deduct > 0 || f.Veto {
			deducting = append(deducting, i)
		}
	}
	if res.Passed || len(deducting) == 0 {
		t.Fatalf("%s: want a failed call with findings", call)
	}

	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("autoplay-policy", "no-user-gesture-required"),
		chromedp.WindowSize(1400, 1000),
	}
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancel()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancel = context.WithTimeout(ctx, 90*time.Second)
	defer cancel()

	do := func(step string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, actions...); err != nil {
			t.Fatalf("%s: %v", step, err)
		}
	}
	text := func(step string, sel chromedp.CSS) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Text(sel))
		if err != nil {
			t.Fatalf("%s: %v", step, err)
		}
		return v
	}
	// poll evaluates a JavaScript number until ok accepts it.
	poll := func(step, js string, ok func(float64) bool) float64 {
		t.Helper()
		var v float64
		var err error
		deadline := time.Now().Add(20 * time.Second)
		for {
			v, err = chromedp.Run(ctx, chromedp.Evaluate[float64](js))
			if err == nil && ok(v) {
				return v
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: last value %v, err %v", step, v, err)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	shot := func(name string) string {
		t.Helper()
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatalf("screenshot %s: %v", name, err)
		}
		p := filepath.Join(artifacts, name)
		if err := os.WriteFile(p, png, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("screenshot %s", p)
		return p
	}

	do("log in",
		chromedp.Navigate(b.ts.URL+"/login"),
		chromedp.WaitVisible(chromedp.CSS("#name")),
		chromedp.SendKeys(chromedp.CSS("#name"), "reviewer1"),
		chromedp.SendKeys(chromedp.CSS("#password"), testPassword),
		chromedp.Click(chromedp.CSS("#login")),
		chromedp.WaitVisible(chromedp.CSS("table.list")),
	)
	do("open the dashboard", chromedp.Navigate(b.ts.URL+"/dashboard"))
	before := text("read the dashboard", "#reviewed-rate")
	link := chromedp.CSS(fmt.Sprintf(`a.call[href^="/calls/%s?rec="]`, call))
	do("open the flagged call from the queue",
		chromedp.Navigate(b.ts.URL+"/queue?status=pending"),
		chromedp.WaitVisible(link),
		chromedp.Click(link),
		chromedp.WaitVisible(chromedp.CSS("#player")),
		chromedp.WaitVisible(chromedp.CSS("#wave svg")),
	)

	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.getElementById("player").play().then(() => true)`, chromedp.EvalAwaitPromise)); err != nil {
		t.Fatalf("start playback: %v", err)
	}
	dur := poll("audio duration", `document.getElementById("player").duration || 0`, func(v float64) bool { return v > 0 && !math.IsInf(v, 0) })
	if math.Abs(dur-res.Audio.DurationS) > 0.05 {
		t.Errorf("audio element duration %.3f s, recording %.3f s", dur, res.Audio.DurationS)
	}
	poll("playback advancing", `document.getElementById("player").currentTime`, func(v float64) bool { return v > 0 })

	// Click the last deducting finding (furthest from the start) and check
	// the player seeked there.
	last := deducting[len(deducting)-1]
	target := res.Findings[last]
	do("click a finding", chromedp.Click(chromedp.CSS(fmt.Sprintf(`#findings button.seek[data-finding="%d"]`, last))))
	pos := poll("seek to the finding", `document.getElementById("player").currentTime`,
		func(v float64) bool { return v >= target.Start-0.05 && v < target.Start+1.5 })
	t.Logf("finding at %.2f s: player at %.2f s", target.Start, pos)
	// And a transcript line.
	do("click a transcript line", chromedp.Click(chromedp.CSS(`#lines li.line:first-child`)))
	line := res.Transcript.Utterances[0]
	poll("seek to the transcript line", `document.getElementById("player").currentTime`,
		func(v float64) bool { return v >= line.Start-0.05 && v < line.Start+1.5 })
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.getElementById("player").pause(), true`)); err != nil {
		t.Fatalf("pause: %v", err)
	}
	callShot := shot("call-" + call + ".png")
	// The recording played: no error under the player; the waveform's
	// last time label is inside the picture.
	if hidden, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.getElementById("player-error").hidden`)); err != nil || !hidden {
		t.Errorf("player error shown: %v %v", hidden, err)
	}
	if inside, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => {
		const ts = document.querySelectorAll("#wave svg text"), b = ts[ts.length - 1].getBBox();
		return b.x >= 0 && b.x + b.width <= 1000.5;
	})()`)); err != nil || !inside {
		t.Errorf("the last time label of the waveform is clipped: %v %v", inside, err)
	}
	// Overturning without a reason says so on the finding, and stays.
	first := res.Findings[deducting[0]]
	li0 := fmt.Sprintf(`#f-%s-%d`, first.Rule, models.StartMS(first.Start))
	do("overturn without a reason",
		chromedp.Click(chromedp.CSS(li0+` button.overturn`)),
		chromedp.WaitVisible(chromedp.CSS(li0+` .form-error`)),
	)
	if msg := text("the reason message", chromedp.CSS(li0+` .form-error`)); !strings.Contains(msg, "推翻时请填写理由") {
		t.Errorf("message %q", msg)
	}

	// Overturn every deducting finding (the call fails until none is left).
	for _, i := range deducting {
		f := res.Findings[i]
		li := fmt.Sprintf(`#f-%s-%d`, f.Rule, models.StartMS(f.Start))
		do("overturn "+li,
			chromedp.WaitVisible(chromedp.CSS(li+` input[name="comment"]`)),
			chromedp.SendKeys(chromedp.CSS(li+` input[name="comment"]`), "浏览器测试：误报"),
			chromedp.Click(chromedp.CSS(li+` button.overturn`)),
			chromedp.WaitVisible(chromedp.CSS(li+`.overturn`)),
		)
	}
	if verdict := text("reviewed verdict", "#reviewed-verdict"); !strings.Contains(verdict, "复核后：合格") {
		t.Errorf("after overturning: %q", verdict)
	}
	do("open the dashboard again", chromedp.Navigate(b.ts.URL+"/dashboard"))
	after := text("read the dashboard again", "#reviewed-rate")
	if before != "91.7%" || after != "100.0%" {
		t.Errorf("reviewed pass rate %s before, %s after; want 91.7%% then 100.0%%", before, after)
	}
	shot("dashboard.png")

	// The server saw the playback.
	log, err := b.wb.AuditLog(context.Background(), workbench.AuditFilter{CallID: call, Action: workbench.AuditPlayback})
	if err != nil || len(log) == 0 {
		t.Errorf("playback not audited: %v %v", log, err)
	}
	if *updateScreenshots {
		png, err := os.ReadFile(callShot)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll("../docs", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile("../docs/screenshot-call.png", png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
