package chat

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"gomicro/app/module"
)

// builtinCommands are the chat module's own bot commands; other modules add
// theirs through their Spec.Commands.
func builtinCommands(s *Service) []module.Command {
	return []module.Command{
		{Name: "help", Usage: "/help", Summary: "lists the commands", Run: func(context.Context, module.Invocation) (string, error) {
			return s.bot.help(), nil
		}},
		{Name: "echo", Usage: "/echo TEXT", Summary: "says TEXT back", Run: func(_ context.Context, in module.Invocation) (string, error) {
			if in.Args == "" {
				return "Usage: /echo TEXT", nil
			}
			return in.Args, nil
		}},
		{Name: "time", Usage: "/time", Summary: "the server's time", Run: func(context.Context, module.Invocation) (string, error) {
			loc, err := time.LoadLocation(s.cfg.Current().App.Timezone)
			if err != nil {
				loc = time.UTC
			}
			return s.now().In(loc).Format("2006-01-02 15:04:05 MST (Z07:00)"), nil
		}},
		{Name: "members", Usage: "/members", Summary: "who is in this chat, and who is online", Run: s.membersCommand},
		{Name: "stats", Usage: "/stats", Summary: "message counts per member of this chat", Run: s.statsCommand},
	}
}

func (b *Bot) help() string {
	var sb strings.Builder
	sb.WriteString("Commands:")
	for _, c := range b.list {
		fmt.Fprintf(&sb, "\n%s — %s", c.Usage, c.Summary)
	}
	return sb.String()
}

func (s *Service) membersCommand(ctx context.Context, in module.Invocation) (string, error) {
	c, err := s.Chat(ctx, in.Chat)
	if err != nil {
		return "", err
	}
	online := map[string]bool{}
	for _, u := range s.presence.users(ctx, in.Chat) {
		online[u] = true
	}
	parts := make([]string, len(c.Members))
	for i, m := range c.Members {
		parts[i] = m
		if m == c.Owner {
			parts[i] += " (owner)"
		}
		if online[m] {
			parts[i] += " (online)"
		}
		delete(online, m)
	}
	out := fmt.Sprintf("%d members: %s", len(parts), strings.Join(parts, ", "))
	if len(online) > 0 { // MQTT guests: present, but members of nothing
		guests := make([]string, 0, len(online))
		for u := range online {
			guests = append(guests, u)
		}
		sort.Strings(guests)
		out += "; guests online: " + strings.Join(guests, ", ")
	}
	return out, nil
}

func (s *Service) statsCommand(ctx context.Context, in module.Invocation) (string, error) {
	row, err := s.store.chatByURI(ctx, in.Chat)
	if err != nil {
		return "", err
	}
	ro, err := s.store.members(ctx, []chatRow{row})
	if err != nil {
		return "", err
	}
	counts, err := s.store.counts(ctx, row.ID)
	if err != nil {
		return "", err
	}
	members := ro[row.ID].Members
	sort.SliceStable(members, func(i, j int) bool { return counts[members[i]] > counts[members[j]] })
	lines := []string{"Messages per member:"}
	for _, m := range members {
		lines = append(lines, fmt.Sprintf("%s: %d", m, counts[m]))
	}
	return strings.Join(lines, "\n"), nil
}
