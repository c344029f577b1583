package integrations

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
)

// SonarQube: sonarqube.org/project-key names a project of SonarQube Server or SonarQube Cloud, as
// `key` (the default instance) or `instance/key` (the community plugin splits on the first `/`).
var SonarQube = define(&Integration{
	Name: "sonarqube", Title: "SonarQube", Object: "project",
	Keys:  []string{"sonarqube.org/project-key"},
	Parse: parseSonarQube,
	Settings: []Setting{
		{Env: "SONARQUBE_URL", Flag: "sonarqube-url", Default: "https://sonarcloud.io",
			Doc: "the default instance's address (SonarQube Cloud unless set)"},
		{Env: "SONARQUBE_TOKEN", Secret: true, Doc: "a user token of the default instance with Browse on the projects"},
	},
	Connect:   connectSonarQube,
	Request:   "`GET {url}/api/components/show?component={key}` with `Authorization: Bearer`; 200 is found, 404 missing",
	Token:     "a user token (My Account → Security) of a user with Browse permission on the projects; for a named instance `x`, `SONARQUBE_X_URL` and `SONARQUBE_X_TOKEN`",
	ExistsDoc: "The SonarQube plugin shows \"There is no SonarQube project with key …\" for a key its instance does not know.",
	FormatDoc: "The SonarQube plugin reads `sonarqube.org/project-key` as `key` or `instance/key` (split on the first `/`). " +
		"A project key is letters, digits, `-`, `_`, `.` and `:`, with at least one non-digit (SonarQube's rule); " +
		"an instance name is letters, digits, `-` and `_`.",
	Good:          exampleEntity("sonarqube.org/project-key", "acme_payments"),
	BadMissing:    exampleEntity("sonarqube.org/project-key", "acme_paymnets"),
	BadFormat:     exampleEntity("sonarqube.org/project-key", "acme payments"),
	BadUnverified: exampleEntity("sonarqube.org/project-key", "flaky_payments"),
})

var (
	sonarKey      = regexp.MustCompile(`^[A-Za-z0-9_.:-]+$`)
	sonarInstance = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)
	allDigits     = regexp.MustCompile(`^[0-9]+$`)
)

func parseSonarQube(key, value string, _ func(string) string) (Value, string) {
	instance, project, hasInstance := strings.Cut(value, "/")
	if !hasInstance {
		instance, project = "", value
	}
	switch {
	case strings.TrimSpace(value) == "":
		return Value{}, fmt.Sprintf("%s is empty; set it to the SonarQube project key or remove it", key)
	case hasInstance && !sonarInstance.MatchString(instance):
		return Value{}, fmt.Sprintf("%s %q: %q is not an instance name (letters, digits, - and _); use key or instance/key", key, value, instance)
	case (!sonarKey.MatchString(project) || allDigits.MatchString(project)) && !hasInstance:
		return Value{}, fmt.Sprintf("%s %q is not a SonarQube project key (letters, digits, -, _, . and :, not only digits)", key, value)
	case !sonarKey.MatchString(project) || allDigits.MatchString(project):
		return Value{}, fmt.Sprintf("%s %q: %q is not a SonarQube project key (letters, digits, -, _, . and :, not only digits)", key, value, project)
	}
	return Value{Key: project, Name: value, Instance: strings.ToLower(instance)}, ""
}

// sonarQube asks one or more SonarQube instances: the default one, and those a value's prefix names
// when the operator configured them (SONARQUBE_<NAME>_URL and SONARQUBE_<NAME>_TOKEN).
type sonarQube struct {
	settings Settings
	mu       sync.Mutex
	apis     map[string]*api
}

func connectSonarQube(s Settings) (Service, error) {
	if s.Get("SONARQUBE_TOKEN") == "" {
		return nil, &NotConfigured{Missing: "SONARQUBE_TOKEN"}
	}
	svc := &sonarQube{settings: s, apis: map[string]*api{}}
	if _, err := svc.instance(""); err != nil {
		return nil, err
	}
	return svc, nil
}

// envName is an instance's part of its variables' names: SONARQUBE_<NAME>_URL.
func envName(instance string) string {
	return strings.ToUpper(strings.ReplaceAll(instance, "-", "_"))
}

// instance returns the client of an instance; nil when it is not configured.
func (s *sonarQube) instance(name string) (*api, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if a, ok := s.apis[name]; ok {
		return a, nil
	}
	urlVar, tokenVar := "SONARQUBE_URL", "SONARQUBE_TOKEN"
	if name != "" {
		urlVar, tokenVar = "SONARQUBE_"+envName(name)+"_URL", "SONARQUBE_"+envName(name)+"_TOKEN"
	}
	base, token := s.settings.Get(urlVar), s.settings.Get(tokenVar)
	if name != "" && (base == "" || token == "") {
		s.apis[name] = nil
		return nil, nil
	}
	a, err := newAPI("SonarQube", urlVar, base, func(h http.Header) { h.Set("Authorization", "Bearer "+token) })
	if err != nil {
		return nil, err
	}
	s.apis[name] = a
	return a, nil
}

func (s *sonarQube) Lookup(ctx context.Context, v Value) Result {
	a, err := s.instance(v.Instance)
	if err != nil || a == nil {
		n := envName(v.Instance)
		return Result{Verdict: Unverified, Reason: fmt.Sprintf("SonarQube instance %q is not configured (set SONARQUBE_%s_URL and SONARQUBE_%s_TOKEN)", v.Instance, n, n)}
	}
	ans, err := a.get(ctx, "/api/components/show", url.Values{"component": {v.Key}})
	switch {
	case err == nil && ans.status == http.StatusOK:
		return Result{Verdict: Found}
	case err == nil && ans.status == http.StatusNotFound:
		return Result{Verdict: Missing}
	}
	tokenVar := "SONARQUBE_TOKEN"
	if v.Instance != "" {
		tokenVar = "SONARQUBE_" + envName(v.Instance) + "_TOKEN"
	}
	return a.unverified(ctx, ans, err, tokenVar)
}
