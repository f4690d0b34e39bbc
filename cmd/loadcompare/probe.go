package main

import (
	"context"
	"errors"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/gin-gonic/gin"
)

// probeBody is the answer of /demo/hello, field for field.
type probeBody struct {
	Msg  string `json:"msg"`
	Time string `json:"time"`
	Host string `json:"host"`
}

// serveProbe is the baseline: gin.New() with no middleware and one handler
// giving /demo/hello's JSON, time in the same zone. It serves on ln until
// ctx is done.
func serveProbe(ctx context.Context, ln net.Listener, zone string) error {
	loc, err := time.LoadLocation(zone)
	if err != nil {
		return err
	}
	host, _ := os.Hostname()
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.GET("/demo/hello", func(c *gin.Context) {
		c.JSON(http.StatusOK, probeBody{Msg: "hello world", Time: time.Now().In(loc).Format(time.DateTime), Host: host})
	})
	srv := &http.Server{Handler: r, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		_ = srv.Close()
	}()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
