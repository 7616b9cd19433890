package dashboard_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/dynago/dynago/internal/testserver"
	"github.com/dynago/dynago/node"
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

// TestDashboardShowsANodeDying opens the dashboard of a real three-node
// cluster in headless Chromium, checks the ring and the node table, cuts a
// node off (to the others it is as dead as a killed process), checks that
// the page shows it down, and saves a screenshot.
func TestDashboardShowsANodeDying(t *testing.T) {
	browser := chromium(t)
	c := testserver.StartCluster(t, 3, func(_ int, cfg *node.Config) {
		cfg.MetricsAddr = "127.0.0.1:0"
		cfg.Timeout = 3 * time.Second
	})
	url := "http://" + c.Nodes[0].Node.MetricsAddr() + "/"

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
	arcs, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("#ring path.partition").length`))
	if err != nil {
		t.Fatal(err)
	}
	if arcs != 256*3 {
		t.Fatalf("the ring shows %d arcs, want 768 (256 partitions x 3 replicas)", arcs)
	}

	// node3 falls silent, as a killed process does: no leave announcement,
	// gossip has to notice.
	c.Isolate(2)
	waitText("node3 shown dead", `(document.querySelector('tr[data-node="node3"] td.state') || {}).textContent || ""`,
		func(s string) bool { return s != "" && s != "alive" })
	waitText("the summary counts 2 alive", `document.getElementById("summary").textContent`, func(s string) bool {
		return strings.HasPrefix(s, "2 of 3 nodes alive")
	})
	faded, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('#ring path.partition.down[data-owner="node3"]').length`))
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
	t.Logf("screenshot of the dashboard with node3 down: %s (%d bytes)", path, len(shot))
}
