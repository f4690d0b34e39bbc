# gomicro: common tasks. `make test` is what CI runs (.ci/run).
GO        ?= go
# MySQL suites run when TEST_MYSQL_DSN is set (CI sets it; locally they skip).
TEST_MYSQL_DSN ?=
# The broker of the WeChat dispatch tests and benchmarks (CI sets it; locally they skip without it).
TEST_AMQP_URL ?=

.PHONY: run run-job run-wechat-worker test test-race test-sdk lint bench bench-workers load fuzz build migrate

run: ## the server on the embedded default (config_test.yaml: SQLite, no Nacos)
	$(GO) run ./cmd/server

run-job: ## the XXL-JOB executor on the embedded default
	$(GO) run ./cmd/job

run-wechat-worker: ## a WeChat worker (needs wechat_oa.dispatch: amqp settings: amqp.url, redis.addr)
	$(GO) run ./cmd/server wechat-worker

migrate: ## apply database migrations and exit
	$(GO) run ./cmd/server migrate

build: ## static binaries into bin/
	CGO_ENABLED=0 $(GO) build -trimpath -o bin/server ./cmd/server
	CGO_ENABLED=0 $(GO) build -trimpath -o bin/job ./cmd/job

test: test-race test-sdk ## every test: race detector on, then the SDK-driven ones without it

test-race: ## all tests under -race
	TEST_MYSQL_DSN='$(TEST_MYSQL_DSN)' $(GO) test -race -count=1 ./...

# The Nacos SDK has data races in its own connection code: tests that drive it
# carry //go:build !race and run here, without the race detector, one package at
# a time: their start-up bounds (serving within 4 s while Nacos hangs) are wall-clock.
test-sdk:
	$(GO) test -p 1 -count=1 ./app/nacos/... ./cmd/...

lint: ## gofmt + go vet
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

bench: ## benchmarks reported against their in-run baselines (see README)
	$(GO) test -run '^$$' -bench 'Hello' -benchtime 2s ./app/web/
	$(GO) test -run '^$$' -bench 'GetItem' -benchtime 2s ./app/demo/
	$(GO) test -run '^$$' -bench 'AlertHook' -benchmem ./app/wecom/
	$(GO) test -run '^$$' -bench 'TriggerToCallback' -benchtime 5x ./app/xxljob/
	$(GO) test -run '^$$' -bench 'Decode$$|Callback' -benchtime 2s ./app/wechat/
	$(GO) test -run '^$$' -bench '^Benchmark(Fanout|Post|IdleSocketMemory)$$' -benchtime 100x ./app/chat/
	# Mosquitto on TEST_MOSQUITTO_ADDR (default 127.0.0.1:1883) is the baseline.
	$(GO) test -run '^$$' -bench 'MQTTFanout' -benchtime 100x ./app/chat/
	$(GO) test -run '^$$' -bench 'SignInFailure' -benchtime 20x ./app/auth/
	$(MAKE) bench-workers

# Agent → RabbitMQ → worker → Redis → agent against the inline chain, and
# msgs/s with 1, 2 and 4 workers; the local broker unless TEST_AMQP_URL says.
bench-workers: ## the WeChat dispatch benchmarks (RabbitMQ and Redis on loopback)
	TEST_AMQP_URL='$(or $(TEST_AMQP_URL),amqp://guest:guest@127.0.0.1:5672/)' $(GO) test -run '^$$' -bench 'DispatchRoundTrip|WorkersThroughput' -benchtime 3000x ./app/wechat/

# Rounds and their length for `make load`; e.g. make load LOADFLAGS='-rounds 8 -duration 10s'.
LOADFLAGS ?= -rounds 6 -duration 4s

load: ## /demo/hello over loopback, shipped server vs bare Gin, per env file (wrk if installed)
	$(GO) run ./cmd/loadcompare $(LOADFLAGS)

fuzz: ## each fuzz target for 20 s
	$(GO) test -run '^$$' -fuzz FuzzBuildRemote -fuzztime 20s ./app/config/
	$(GO) test -run '^$$' -fuzz FuzzRedactURL -fuzztime 20s ./app/config/
	$(GO) test -run '^$$' -fuzz FuzzMaskedParams -fuzztime 20s ./app/config/
	$(GO) test -run '^$$' -fuzz FuzzFromTraceparent -fuzztime 20s ./app/trace/
	$(GO) test -run '^$$' -fuzz FuzzBearerToken -fuzztime 20s ./app/web/
	$(GO) test -run '^$$' -fuzz FuzzConsoleLine -fuzztime 20s ./app/logging/
	$(GO) test -run '^$$' -fuzz FuzzDecodeCursor -fuzztime 20s ./app/demo/
	$(GO) test -run '^$$' -fuzz FuzzParseHosts -fuzztime 20s ./app/nacos/
	$(GO) test -run '^$$' -fuzz FuzzRedact -fuzztime 20s ./app/nacos/
	$(GO) test -run '^$$' -fuzz FuzzSplit -fuzztime 20s ./app/wecom/
	$(GO) test -run '^$$' -fuzz FuzzFormat -fuzztime 20s ./app/wecom/
	$(GO) test -run '^$$' -fuzz FuzzEndpoints -fuzztime 20s ./app/xxljob/
	$(GO) test -run '^$$' -fuzz FuzzParseTopic -fuzztime 20s ./app/gateway/
	$(GO) test -run '^$$' -fuzz FuzzReadPage -fuzztime 20s ./app/xxljob/
	$(GO) test -run '^$$' -fuzz FuzzDecodeFields -fuzztime 20s ./app/wechat/
	$(GO) test -run '^$$' -fuzz FuzzEncodeReply -fuzztime 20s ./app/wechat/
	$(GO) test -run '^$$' -fuzz FuzzQuery -fuzztime 20s ./app/wechat/
	$(GO) test -run '^$$' -fuzz FuzzDecodeTask -fuzztime 20s ./app/wechat/
	$(GO) test -run '^$$' -fuzz FuzzParseClientFrame -fuzztime 20s ./app/chat/
	$(GO) test -run '^$$' -fuzz FuzzParseAfter -fuzztime 20s ./app/chat/
	$(GO) test -run '^$$' -fuzz FuzzGuestFor -fuzztime 20s ./app/auth/
