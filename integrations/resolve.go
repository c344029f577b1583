package integrations

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/catalog-lint/catalog-lint/linter"
)

// Resolver answers one integration's questions with its Service. Lookups start as soon as a file
// names a value (Watch), each distinct value once per run, at most Concurrency at a time.
type Resolver struct {
	Integration *Integration
	Service     Service
	// Concurrency bounds the requests in flight (default 8).
	Concurrency int
	// MaxWait is the longest rate-limit wait the resolver sits out before asking again (the CLI: a
	// minute); a longer one, or any with MaxWait 0, leaves the value unverified with RetryAfter set.
	MaxWait time.Duration
	// Sleep waits (tests make it instant); nil uses a timer.
	Sleep func(ctx context.Context, d time.Duration) error
	// OnRateLimit, when set, is told of a rate limit not waited out (serve snoozes the job).
	OnRateLimit func(ctx context.Context, wait time.Duration, reason string)
	// Cache, when set, keeps definite answers across runs (serve).
	Cache *Cache

	once    sync.Once
	sem     chan struct{}
	mu      sync.Mutex
	pending map[string]*lookup
}

type lookup struct {
	done   chan struct{}
	result Result
}

func (r *Resolver) init() {
	r.once.Do(func() {
		n := r.Concurrency
		if n <= 0 {
			n = 8
		}
		r.sem = make(chan struct{}, n)
		r.pending = map[string]*lookup{}
	})
}

// Register makes r the resolver of its integration's exists rule in into.
func (r *Resolver) Register(into map[*linter.Rule]linter.Resolver) map[*linter.Rule]linter.Resolver {
	if into == nil {
		into = map[*linter.Rule]linter.Resolver{}
	}
	into[r.Integration.Exists] = questions.AnsweredBy(r)
	return into
}

// Watch implements linter.Watcher: the lookup starts while files are still being read.
func (r *Resolver) Watch(ctx context.Context, q Question) {
	if b, ok := r.Service.(Batcher); ok {
		b.Seen(ctx, q.Value)
		return
	}
	r.start(ctx, q.Value)
}

// lookupAll answers every question, each distinct value once: through the Batcher, or one lookup
// each, started by Watch.
func (r *Resolver) lookupAll(ctx context.Context, qs []Question) []Result {
	results := make([]Result, len(qs))
	b, ok := r.Service.(Batcher)
	if !ok {
		for n, q := range qs {
			l := r.start(ctx, q.Value)
			<-l.done
			results[n] = l.result
		}
		return results
	}
	index := map[string]int{}
	var distinct []Value
	at := make([]int, len(qs))
	for n, q := range qs {
		key := q.Value.Instance + "\x00" + q.Value.Key
		i, seen := index[key]
		if !seen {
			i = len(distinct)
			index[key] = i
			distinct = append(distinct, q.Value)
		}
		at[n] = i
	}
	answers := b.LookupAll(ctx, distinct)
	var wait time.Duration
	for _, a := range answers {
		if a.Verdict == Unverified && a.RetryAfter > wait {
			wait = a.RetryAfter
		}
	}
	if wait > 0 && r.OnRateLimit != nil {
		r.OnRateLimit(ctx, wait, r.Integration.Title+" rate limit")
	}
	for n := range qs {
		results[n] = answers[at[n]]
	}
	return results
}

// start begins the lookup of v unless one is under way or done, and returns it.
func (r *Resolver) start(ctx context.Context, v Value) *lookup {
	r.init()
	key := v.Instance + "\x00" + v.Key
	r.mu.Lock()
	defer r.mu.Unlock()
	if l, ok := r.pending[key]; ok {
		return l
	}
	l := &lookup{done: make(chan struct{})}
	r.pending[key] = l
	go func() {
		defer close(l.done)
		if res, ok := r.Cache.get(r.Integration.Name, key); ok {
			l.result = res
			return
		}
		select {
		case r.sem <- struct{}{}:
		case <-ctx.Done():
			l.result = Result{Verdict: Unverified, Reason: "interrupted"}
			return
		}
		defer func() { <-r.sem }()
		l.result = r.ask(ctx, v)
		r.Cache.put(r.Integration.Name, key, l.result)
	}()
	return l
}

// ask looks v up, sitting out rate limits that reset within MaxWait (three times at most).
func (r *Resolver) ask(ctx context.Context, v Value) Result {
	for try := 0; ; try++ {
		res := r.Service.Lookup(ctx, v)
		if res.Verdict == Unverified && ctx.Err() != nil {
			return Result{Verdict: Unverified, Reason: "interrupted"}
		}
		if res.Verdict != Unverified || res.RetryAfter <= 0 {
			return res
		}
		if try >= 2 || res.RetryAfter > r.MaxWait {
			if r.OnRateLimit != nil {
				r.OnRateLimit(ctx, res.RetryAfter, r.Integration.Title+" rate limit")
			}
			return res
		}
		if err := r.sleep(ctx, res.RetryAfter); err != nil {
			return Result{Verdict: Unverified, Reason: "interrupted"}
		}
	}
}

func (r *Resolver) sleep(ctx context.Context, d time.Duration) error {
	if r.Sleep != nil {
		return r.Sleep(ctx, d)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Answer implements linter.Answerer.
func (r *Resolver) Answer(ctx context.Context, qs []Question) ([]linter.Answer, []string) {
	i := r.Integration
	results := r.lookupAll(ctx, qs)
	var out []linter.Answer
	var notices []string
	noticed := map[string]bool{}
	for n, q := range qs {
		res := results[n]
		name := q.Value.Name
		object := i.Object
		if i.Noun != "" {
			object = i.Noun
		}
		if q.Value.Object != "" {
			object = q.Value.Object
		}
		where := q.Value.Where
		if inst := firstNonEmpty(res.Instance, q.Value.Instance); i.InstanceNoun != "" && inst != "" {
			where = fmt.Sprintf(" in %s %q", i.InstanceNoun, inst)
		}
		switch res.Verdict {
		case Missing:
			msg := fmt.Sprintf("%s %s %q does not exist%s", i.Title, object, name, where)
			if i.MissingCaveat != "" {
				msg += ", " + i.MissingCaveat
			}
			if res.Suggestion != "" {
				msg += fmt.Sprintf("; did you mean %q?", res.Suggestion)
			}
			if res.Note != "" {
				msg += " (" + res.Note + ")"
			}
			out = append(out, linter.Answer{Question: n, Rule: i.Exists, Message: msg})
		case Moved:
			current := q.Value.Prefix + res.Current
			out = append(out, linter.Answer{Question: n, Rule: i.Exists, Replace: &current,
				Message: fmt.Sprintf("%s %s %q%s moved to %q; set %s to %q", i.Title, object, name, where, res.Current, q.Key, current)})
		case Found:
		case Unverified:
			out = append(out, linter.Answer{Question: n, Rule: i.Unverified,
				Message: fmt.Sprintf("%s %s %q%s could not be verified: %s", i.Title, object, name, where, res.Reason)})
			if !noticed[res.Reason] {
				noticed[res.Reason] = true
				notices = append(notices, i.Name+": "+res.Reason)
			}
		}
	}
	for n := range qs {
		if res := results[n]; res.Warn != "" && i.Warn != nil && res.Verdict != Unverified && res.Verdict != Missing {
			out = append(out, linter.Answer{Question: n, Rule: i.Warn, Message: res.Warn})
		}
	}
	return out, notices
}

// Cache keeps definite answers (found, missing, moved) for TTL, across runs: serve asks each value
// once per TTL however many pushes name it. It holds at most Max entries (default 100,000); when full,
// expired entries go, then everything.
type Cache struct {
	TTL time.Duration
	Max int
	Now func() time.Time

	mu sync.Mutex
	m  map[string]cached
}

type cached struct {
	res     Result
	expires time.Time
}

func (c *Cache) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

func (c *Cache) get(integration, key string) (Result, bool) {
	if c == nil {
		return Result{}, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[integration+"\x00"+key]
	if !ok || !c.now().Before(e.expires) {
		return Result{}, false
	}
	return e.res, true
}

func (c *Cache) put(integration, key string, res Result) {
	if c == nil || res.Verdict == Unverified || c.TTL <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	limit := c.Max
	if limit <= 0 {
		limit = 100000
	}
	now := c.now()
	if c.m == nil {
		c.m = map[string]cached{}
	}
	if len(c.m) >= limit {
		for k, e := range c.m {
			if !now.Before(e.expires) {
				delete(c.m, k)
			}
		}
		if len(c.m) >= limit {
			c.m = map[string]cached{}
		}
	}
	c.m[integration+"\x00"+key] = cached{res, now.Add(c.TTL)}
}

// Connected is the integrations a run asks, each with its resolver, and notices for those left out.
type Connected struct {
	Resolvers []*Resolver
	// Skipped says, per integration left out, why (its token is not set).
	Skipped map[string]string
}

// Register adds every resolver to into. An integration left out gets one that answers nothing and
// says once, when the run has its annotations, that they were not checked and why.
func (c Connected) Register(into map[*linter.Rule]linter.Resolver) map[*linter.Rule]linter.Resolver {
	if into == nil {
		into = map[*linter.Rule]linter.Resolver{}
	}
	for _, r := range c.Resolvers {
		into = r.Register(into)
	}
	for _, i := range registry {
		if why, ok := c.Skipped[i.Name]; ok && into[i.Exists] == nil {
			into[i.Exists] = questions.AnsweredBy(notChecked{i, why})
		}
	}
	return into
}

// notChecked answers the questions of an integration left out with one notice.
type notChecked struct {
	i   *Integration
	why string
}

func (n notChecked) Answer(_ context.Context, qs []Question) ([]linter.Answer, []string) {
	what := "annotation was"
	if len(qs) != 1 {
		what = "annotations were"
	}
	return nil, []string{fmt.Sprintf("%s: %s, so %d %s %s not checked against %s", n.i.Name, n.why, len(qs), n.i.Keys[0], what, n.i.Title)}
}

// ForRun returns resolvers for one run (each value looked up once per run) that share the clients
// and tune them: maxWait is the longest rate-limit wait sat out, sleep waits (nil: a timer),
// onRateLimit is told of longer ones, and cache keeps answers across runs (nil: none).
func (c Connected) ForRun(maxWait time.Duration, sleep func(context.Context, time.Duration) error,
	onRateLimit func(context.Context, time.Duration, string), cache *Cache) Connected {
	out := Connected{Skipped: c.Skipped}
	for _, r := range c.Resolvers {
		out.Resolvers = append(out.Resolvers, &Resolver{Integration: r.Integration, Service: r.Service, Concurrency: r.Concurrency,
			MaxWait: maxWait, Sleep: sleep, OnRateLimit: onRateLimit, Cache: cache})
	}
	return out
}

// With returns c with svc answering integration i for one run (serve: GitHub with the job's
// installation token), whatever Connect found.
func (c Connected) With(i *Integration, svc Service, onRateLimit func(context.Context, time.Duration, string), cache *Cache) Connected {
	out := c.without(i)
	out.Resolvers = append(out.Resolvers, &Resolver{Integration: i, Service: svc, OnRateLimit: onRateLimit, Cache: cache})
	return out
}

// without is c with neither a resolver nor a reason to skip for i.
func (c Connected) without(i *Integration) Connected {
	out := Connected{Skipped: map[string]string{}}
	for name, why := range c.Skipped {
		if name != i.Name {
			out.Skipped[name] = why
		}
	}
	for _, r := range c.Resolvers {
		if r.Integration != i {
			out.Resolvers = append(out.Resolvers, r)
		}
	}
	return out
}

// Skip returns c with integration i left out for the reason why (Sentry without a token): its
// annotations get one notice.
func (c Connected) Skip(i *Integration, why string) Connected {
	out := c.without(i)
	out.Skipped[i.Name] = why
	return out
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// Names are the integrations asked, sorted.
func (c Connected) Names() []string {
	var out []string
	for _, r := range c.Resolvers {
		out = append(out, r.Integration.Name)
	}
	return out
}

// InputName is the name of a setting as a flag (--sonarqube-url) and an Action input (sonarqube-url,
// sonarqube-token): its variable in lowercase, with dashes.
func InputName(env string) string { return strings.ToLower(strings.ReplaceAll(env, "_", "-")) }

// Connect builds the client of every integration whose settings get returns (environment and flags).
// An integration without its token is skipped (Connected.Skipped); a wrong setting is an error.
// secret is told every secret read, to keep it out of output.
func Connect(get func(env string) string, secret func(string)) (Connected, error) {
	out := Connected{Skipped: map[string]string{}}
	for _, i := range registry {
		s := Settings{get: func(env string) string {
			v := strings.TrimSpace(get(env))
			secretVar := strings.HasSuffix(env, "_TOKEN")
			for _, st := range i.Settings {
				if st.Env == env {
					secretVar = st.Secret
					if v == "" {
						v = st.Default
					}
				}
			}
			if secretVar && v != "" && secret != nil {
				secret(v)
			}
			return v
		}}
		if i.Connect == nil {
			continue // connected by the caller (With)
		}
		svc, err := i.Connect(s)
		var nc *NotConfigured
		switch {
		case errors.As(err, &nc):
			out.Skipped[i.Name] = nc.Error()
			continue
		case err != nil:
			return Connected{}, fmt.Errorf("%s: %w", i.Name, err)
		}
		out.Resolvers = append(out.Resolvers, &Resolver{Integration: i, Service: svc})
	}
	return out, nil
}
