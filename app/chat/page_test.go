package chat_test

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"gomicro/app/db/dbtest"
)

const chromium = "/usr/bin/chromium"

func TestPageServed(t *testing.T) {
	s := startServer(t, dbtest.SQLite(t), options{})
	for path, want := range map[string]string{"/chat/": "<title>gomicro chat</title>", "/chat/app.js": "WebSocket", "/chat/style.css": "#messages"} {
		r := s.do(http.MethodGet, path, "", "")
		if r.status != http.StatusOK || !strings.Contains(string(r.body), want) {
			t.Errorf("GET %s: %d, want %q in the body", path, r.status, want)
		}
	}
	if r := s.do(http.MethodGet, "/chat/nope.js", "", ""); r.status != http.StatusNotFound {
		t.Errorf("unknown asset: %d", r.status)
	}
}

// TestPageTwoBrowsers drives Debian's Chromium headless: two users in two
// browser contexts sign up, one creates a chat and passes its invitation
// link, the other joins from it, and they exchange messages both ways
// over the page's WebSocket. The screenshot is kept as a test artefact
// (go test -artifacts -outputdir DIR keeps it under DIR).
func TestPageTwoBrowsers(t *testing.T) {
	if _, err := os.Stat(chromium); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is required when CI=true (apt-get install chromium): %v", chromium, err)
		}
		t.Skipf("no %s", chromium)
	}
	s := startServer(t, dbtest.SQLite(t), options{})
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium), chromedp.NoSandbox, chromedp.DisableGPU, chromedp.Headless,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.NoFirstRun, chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1100, 800),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	browser, cancelBrowser := chromedp.NewContext(allocCtx)
	defer cancelBrowser()
	if err := chromedp.Do(browser); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	ctx, cancel := context.WithTimeout(browser, 90*time.Second)
	defer cancel()
	alice, cancelA := chromedp.NewContext(ctx, chromedp.WithNewBrowserContext())
	defer cancelA()
	bob, cancelB := chromedp.NewContext(ctx, chromedp.WithNewBrowserContext())
	defer cancelB()

	signUp := func(name string) chromedp.Action[chromedp.Void] {
		return chromedp.Steps(
			chromedp.WaitVisible(chromedp.ID("authform")),
			chromedp.SendKeys(chromedp.ID("username"), name),
			chromedp.SendKeys(chromedp.ID("password"), "password1"),
			chromedp.Click(chromedp.ID("signup")),
		)
	}
	online := until(`document.getElementById("status").textContent === "online"`)
	say := func(text string) chromedp.Action[chromedp.Void] {
		return chromedp.Steps(chromedp.SendKeys(chromedp.ID("text"), text), chromedp.Click(chromedp.ID("send")))
	}
	shows := func(text string) chromedp.Action[chromedp.Void] {
		return until(`[...document.querySelectorAll("#messages li")].some(li => li.textContent.includes(` + jsString(text) + `))`)
	}

	run(t, alice, "alice creates a chat",
		chromedp.Navigate(s.url+"/chat/"), signUp("alice_page"),
		chromedp.WaitVisible(chromedp.ID("lobby")),
		chromedp.Click(chromedp.ID("newchat")),
		chromedp.WaitVisible(chromedp.ID("room")), online,
	)
	invite, err := chromedp.Run(alice, chromedp.Value(chromedp.ID("invite")))
	if err != nil || !strings.HasPrefix(invite, s.url+"/chat/#") {
		t.Fatalf("invitation link = %q, %v", invite, err)
	}
	run(t, bob, "bob joins from the link",
		chromedp.Navigate(invite), signUp("bob_page"),
		chromedp.WaitVisible(chromedp.ID("room")), online,
	)
	run(t, alice, "alice sees bob online", until(`document.getElementById("presence").textContent.includes("bob_page")`))
	run(t, alice, "alice writes", say("hello from alice"))
	run(t, bob, "bob reads and answers", shows("hello from alice"), say("hi alice, bob here"))
	run(t, alice, "alice reads", shows("hi alice, bob here"), say("/echo ping"))
	run(t, bob, "bob sees the bot", until(`[...document.querySelectorAll("#messages li.bot")].some(li => li.textContent.includes("ping"))`))

	png, err := chromedp.Run(bob, chromedp.FullScreenshot(100)) // quality 100: PNG
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.ArtifactDir(), "chat-two-browsers.png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", path)
}

// until waits (15 s at most) for a JavaScript condition to hold.
func until(expr string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := chromedp.Poll[bool](expr, chromedp.WithPollingTimeout(15*time.Second))(ctx, t)
		return err
	})
}

func run(t *testing.T, ctx context.Context, step string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, actions...); err != nil {
		text, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("error").textContent + " | " + document.body.innerText.slice(0, 500)`))
		t.Fatalf("%s: %v; page: %s", step, err, text)
	}
}

func jsString(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`)
	return `"` + r.Replace(s) + `"`
}
