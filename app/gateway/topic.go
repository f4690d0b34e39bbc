package gateway

import (
	"fmt"
	"strings"
)

// route is a parsed publish topic: Module[@node]/Handler[/msgid].
type route struct {
	module string // without any @node suffix
	name   string
	msgid  string // "" for fire and forget
}

// errTopic is mqant's answer to a topic without a handler part.
const errTopic = "Topic must be [moduleType@moduleID]/[handler]|[moduleType@moduleID]/[handler]/[msgid]"

// parseTopic splits a publish topic as mqant's gate does: exactly three
// parts carry a msgid (a reply is wanted), two are fire and forget. The
// error is the client message to reply with; a msgid is returned beside it
// when the topic had one. More than three parts are fire and forget with
// the extra parts ignored, as in mqant.
func parseTopic(topic string) (route, error) {
	parts := strings.Split(topic, "/")
	if len(parts) < 2 {
		return route{}, clientError(errTopic)
	}
	r := route{name: parts[1]}
	r.module, _, _ = strings.Cut(parts[0], "@") // one instance: the node is ignored
	if len(parts) == 3 {
		r.msgid = parts[2]
	}
	if !strings.HasPrefix(r.name, "HD_") && !strings.HasPrefix(r.name, "Handler_") {
		return r, clientError(fmt.Sprintf("Method(%s) must begin with 'HD_'", r.name))
	}
	return r, nil
}

// clientError is a routing failure whose text goes to the client as is.
type clientError string

func (e clientError) Error() string { return string(e) }
