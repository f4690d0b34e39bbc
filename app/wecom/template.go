package wecom

import (
	"context"
	"fmt"
	"strconv"
	"strings"
)

// Level is an alarm level; it decorates each template parameter.
type Level string

// The alarm levels of the Python template. DISASTER is decorated like
// CRITICAL, as there: WeCom markdown has no stronger emphasis than a red,
// bold parameter.
const (
	Normal   Level = "NORMAL"
	Urgent   Level = "URGENT"
	Critical Level = "CRITICAL"
	Disaster Level = "DISASTER"
)

// Decorate wraps p in the level's markdown. An unknown or empty level is
// NORMAL.
func (l Level) Decorate(p string) string {
	switch l {
	case Urgent:
		return `<font color="warning">` + p + `</font>`
	case Critical, Disaster:
		return `<font color="red">**` + p + `**</font>`
	default:
		return `<font>` + p + `</font>`
	}
}

// Format fills the positional placeholders of tmpl the way Python's
// str.format does for the template's robots: "{}" takes the next
// parameter, "{0}" the first, "{{" and "}}" are literal braces. Surplus
// parameters are ignored, as in Python. The error wraps ErrInvalidTemplate
// for a missing parameter, a named or formatted field, mixed numbering or
// an unmatched brace.
func Format(tmpl string, params ...string) (string, error) {
	var b strings.Builder
	next, auto, manual := 0, false, false
	for i := 0; i < len(tmpl); i++ {
		ch := tmpl[i]
		if ch == '}' {
			if i+1 < len(tmpl) && tmpl[i+1] == '}' {
				b.WriteByte('}')
				i++
				continue
			}
			return "", fmt.Errorf("%w: single '}' at byte %d", ErrInvalidTemplate, i)
		}
		if ch != '{' {
			b.WriteByte(ch)
			continue
		}
		if i+1 < len(tmpl) && tmpl[i+1] == '{' {
			b.WriteByte('{')
			i++
			continue
		}
		end := strings.IndexByte(tmpl[i:], '}')
		if end < 0 {
			return "", fmt.Errorf("%w: unclosed '{' at byte %d", ErrInvalidTemplate, i)
		}
		field := tmpl[i+1 : i+end]
		idx := next
		if field == "" {
			auto, next = true, next+1
		} else {
			n, err := strconv.Atoi(field)
			if err != nil || n < 0 {
				return "", fmt.Errorf("%w: field {%s}: only positional {} or {N} are supported", ErrInvalidTemplate, field)
			}
			manual, idx = true, n
		}
		if auto && manual {
			return "", fmt.Errorf("%w: mixes {} and {N}", ErrInvalidTemplate)
		}
		if idx >= len(params) {
			return "", fmt.Errorf("%w: placeholder %d but %d parameters", ErrInvalidTemplate, idx, len(params))
		}
		b.WriteString(params[idx])
		i += end
	}
	return b.String(), nil
}

// Render returns the markdown of robot's template with params decorated at
// level, or at the robot's configured alarm_level when level is "". The
// error wraps ErrUnknownRobot or ErrInvalidTemplate.
func (c *Client) Render(robot string, level Level, params ...string) (string, error) {
	rc, ok := c.cur.Load().robot(robot)
	if !ok {
		return "", fmt.Errorf("%w: %q", ErrUnknownRobot, robot)
	}
	if level == "" {
		level = Level(rc.AlarmLevel)
	}
	decorated := make([]string, len(params))
	for i, p := range params {
		decorated[i] = level.Decorate(p)
	}
	out, err := Format(rc.Template, decorated...)
	if err != nil {
		return "", fmt.Errorf("robot %q template: %w", robot, err)
	}
	return out, nil
}

// SendTemplate renders robot's template (see Render) and queues it as
// markdown, like Send. Errors are those of Render and Send.
func (c *Client) SendTemplate(ctx context.Context, robot string, level Level, params ...string) error {
	content, err := c.Render(robot, level, params...)
	if err != nil {
		return err
	}
	return c.Send(ctx, robot, Markdown{Content: content})
}

// SendTemplateError is SendTemplate with one more parameter appended: the
// chain of err and the top of the stack of the caller, as the Python
// template's exception variant did.
func (c *Client) SendTemplateError(ctx context.Context, robot string, level Level, err error, params ...string) error {
	all := append(params[:len(params):len(params)], ErrorText(err, 2))
	return c.SendTemplate(ctx, robot, level, all...)
}
