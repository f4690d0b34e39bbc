package chat

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/rs/zerolog"

	"gomicro/app/auth"
	"gomicro/app/module"
)

// Bot answers "/" commands as user bot, asynchronously, through the same
// path as any message (stored, pushed, paged). Commands come from every
// module's Spec.Commands. A bounded queue and a few workers keep a burst of
// commands from holding up posts; past the queue a command goes unanswered
// and is logged.
type Bot struct {
	svc      *Service
	user     auth.User
	commands map[string]module.Command
	list     []module.Command
	mu       sync.Mutex // guards queue against sends after close
	closed   bool
	queue    chan botJob
	workers  sync.WaitGroup
	stop     context.CancelFunc
}

type botJob struct {
	ctx  context.Context
	chat chatRow
	inv  module.Invocation
	name string
}

const (
	botQueue   = 1024
	botWorkers = 2
	botTimeout = 10 * time.Second
)

// setCommands indexes cmds by name; a name given twice is an error, since
// which module answers would otherwise depend on list order.
func (b *Bot) setCommands(cmds []module.Command) error {
	b.commands = map[string]module.Command{}
	b.list = nil
	for _, c := range cmds {
		name := strings.ToLower(c.Name)
		if name == "" || strings.ContainsFunc(name, unicode.IsSpace) || c.Run == nil {
			return fmt.Errorf("bot command %q: needs a one-word name and Run", c.Name)
		}
		if _, dup := b.commands[name]; dup {
			return fmt.Errorf("bot command /%s is registered twice", name)
		}
		b.commands[name] = c
		b.list = append(b.list, c)
	}
	return nil
}

// start looks up the bot's account and runs the workers until shutdown.
func (b *Bot) start(ctx context.Context, users *auth.Service) error {
	u, err := users.UserByName(ctx, BotName)
	if err != nil {
		return fmt.Errorf("bot account (is the chat migration applied?): %w", err)
	}
	b.user = u
	b.queue = make(chan botJob, botQueue)
	wctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	b.stop = cancel
	for range botWorkers {
		b.workers.Go(func() { b.work(wctx) })
	}
	return nil
}

// shutdown answers what is queued until ctx ends, then abandons the rest.
func (b *Bot) shutdown(ctx context.Context) error {
	if b.queue == nil {
		return nil
	}
	b.mu.Lock()
	b.closed = true
	close(b.queue)
	b.mu.Unlock()
	done := make(chan struct{})
	go func() { b.workers.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		b.stop()
		<-done
		return ctx.Err()
	}
}

// enqueue hands a command to the workers without waiting. The job keeps
// the request's logger (and trace id), not its cancellation.
func (b *Bot) enqueue(ctx context.Context, chat chatRow, user, text string) {
	// The command word ends at the first space or line break; the rest,
	// trimmed, is its arguments ("/echo\nhi" echoes "hi").
	word, args := strings.TrimPrefix(text, "/"), ""
	if i := strings.IndexFunc(word, unicode.IsSpace); i >= 0 {
		word, args = word[:i], word[i:]
	}
	job := botJob{
		ctx:  context.WithoutCancel(ctx),
		chat: chat, name: strings.ToLower(word),
		inv: module.Invocation{Chat: chat.URI, User: user, Args: strings.TrimSpace(args)},
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.queue == nil || b.closed {
		return // not started, or shutting down
	}
	select {
	case b.queue <- job:
	default:
		zerolog.Ctx(ctx).Warn().Str("command", job.name).Msg("chat bot: queue full, command not answered")
	}
}

func (b *Bot) work(stop context.Context) {
	for job := range b.queue {
		b.answer(stop, job)
	}
}

func (b *Bot) answer(stop context.Context, job botJob) {
	ctx, cancel := context.WithTimeout(job.ctx, botTimeout)
	defer cancel()
	go func() {
		select {
		case <-stop.Done():
			cancel()
		case <-ctx.Done():
		}
	}()
	text := b.run(ctx, job)
	if max := b.svc.cfg.Current().Chat.MaxMessageChars; utf8.RuneCountInString(text) > max {
		text = string([]rune(text)[:max-1]) + "…"
	}
	if _, _, err := b.svc.post(ctx, job.chat, b.user, text, nil, nil); err != nil {
		zerolog.Ctx(ctx).Error().Err(err).Str("command", job.name).Msg("chat bot: answer not posted")
	}
}

// run returns the answer to one command, a hint for an unknown one, or an
// apology when the command failed (its error goes to the log only).
func (b *Bot) run(ctx context.Context, job botJob) (answer string) {
	cmd, ok := b.commands[job.name]
	if !ok {
		return fmt.Sprintf("Unknown command /%s. Try /help.", job.name)
	}
	defer func() {
		if p := recover(); p != nil {
			zerolog.Ctx(ctx).Error().Str("command", job.name).Str("panic", fmt.Sprint(p)).Msg("chat bot: command panicked")
			answer = fmt.Sprintf("Sorry, /%s failed.", job.name)
		}
	}()
	out, err := cmd.Run(ctx, job.inv)
	if err != nil {
		zerolog.Ctx(ctx).Error().Err(err).Str("command", job.name).Msg("chat bot: command failed")
		if errors.Is(err, context.DeadlineExceeded) {
			return fmt.Sprintf("Sorry, /%s took too long.", job.name)
		}
		return fmt.Sprintf("Sorry, /%s failed.", job.name)
	}
	if strings.TrimSpace(out) == "" {
		return fmt.Sprintf("/%s had nothing to say.", job.name)
	}
	return out
}
