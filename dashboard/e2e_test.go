package dashboard_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/dynago/dynago/internal/testserver"
)

// chromium returns the path of a headless-capable Chromium. Without one the
// test skips on a developer machine and fails in CI, which installs it.
func chromium(t *testing.T) string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("no Chromium found; CI must install Debian's chromium package")
	}
	t.Skip("no Chromium on this machine (apt-get install chromium)")
	return ""
}

// TestDashboardShowsANodeDying opens the dashboard of a three-node cluster
// of dynago processes in headless Chromium, checks the ring and the node
// table, kills a node with SIGKILL, checks that the page shows it down, and
// saves a screenshot.
func TestDashboardShowsANodeDying(t *testing.T) {
	browser := chromium(t)
	metricsPort := testserver.FreePort(t)
	p1 := testserver.StartProcess(t, "", "--metrics-port", fmt.Sprint(metricsPort))
	testserver.StartProcess(t, "", "--metrics-port", "0", "--join", p1.GossipAddr())
	p3 := testserver.StartProcess(t, "", "--metrics-port", "0", "--join", p1.GossipAddr())
	url := fmt.Sprintf("http://127.0.0.1:%d/", metricsPort)
	dead := p3.Addr() // the node's name

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(browser),
		chromedp.NoSandbox,
		chromedp.Flag("headless", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.WindowSize(1200, 800),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancelTimeout := context.WithTimeout(ctx, 90*time.Second)
	defer cancelTimeout()

	// waitText waits until the JavaScript expression (a string) satisfies ok.
	waitText := func(what, expr string, ok func(string) bool) string {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for {
			got, err := chromedp.Run(ctx, chromedp.Evaluate[string](expr))
			if err != nil {
				t.Fatalf("%s: %v", what, err)
			}
			if ok(got) {
				return got
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: the page shows %q", what, got)
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	if _, err := chromedp.Run(ctx, chromedp.Navigate(url)); err != nil {
		t.Fatalf("open %s: %v", url, err)
	}
	waitText("three nodes alive", `document.getElementById("summary").textContent`, func(s string) bool {
		return strings.HasPrefix(s, "3 of 3 nodes alive")
	})
	// Some traffic, so the page has keys and a request rate to show.
	cl := testserver.NewClient(t, p1.Addr())
	for i := 0; i < 200; i++ {
		if err := cl.Set(context.Background(), fmt.Sprintf("key:%d", i), i, 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	arcs, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("#ring path.partition").length`))
	if err != nil {
		t.Fatal(err)
	}
	if arcs != 256*3 {
		t.Fatalf("the ring shows %d arcs, want 768 (256 partitions x 3 replicas)", arcs)
	}

	p3.Kill()
	waitText("the killed node shown dead", `(document.querySelector('tr[data-node="`+dead+`"] td.state') || {}).textContent || ""`,
		func(s string) bool { return s == "dead" || s == "suspect" })
	waitText("the summary counts 2 alive", `document.getElementById("summary").textContent`, func(s string) bool {
		return strings.HasPrefix(s, "2 of 3 nodes alive")
	})
	faded, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('#ring path.partition.down[data-owner="`+dead+`"]').length`))
	if err != nil {
		t.Fatal(err)
	}
	if faded == 0 {
		t.Fatal("the ring does not fade the dead node's partitions")
	}

	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	dir := os.Getenv("DYNAGO_SCREENSHOT_DIR")
	if dir == "" {
		dir = t.TempDir()
	}
	path := filepath.Join(dir, "dashboard-node-down.png")
	if err := os.WriteFile(path, shot, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot of the dashboard with %s killed: %s (%d bytes)", dead, path, len(shot))
}
