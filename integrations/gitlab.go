package integrations

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
)

// GitLabInstanceAnnotation names the GitLab instance of gitlab.com/project-slug or -id (a host).
const GitLabInstanceAnnotation = "gitlab.com/instance"

// GitLab: gitlab.com/project-slug (`group/sub/project`) or gitlab.com/project-id names a project
// of gitlab.com or a self-managed instance (immobiliare's plugin).
var GitLab = define(&Integration{
	Name: "gitlab", Title: "GitLab", Object: "project",
	Keys:  []string{"gitlab.com/project-slug", "gitlab.com/project-id"},
	Parse: parseGitLab,
	Settings: []Setting{
		{Env: "GITLAB_URL", Flag: "gitlab-url", Default: "https://gitlab.com", Doc: "the instance's address"},
		{Env: "GITLAB_TOKEN", Secret: true, Doc: "a personal, group or project access token with read_api"},
	},
	Connect: connectGitLab,
	Request: "`GET {url}/api/v4/projects/{id or URL-encoded path}` with `PRIVATE-TOKEN`; 200 is found (under another path: " +
		"the project moved), 404 missing",
	Token: "a personal, group or project access token with the `read_api` scope and at least Reporter on the projects " +
		"(GitLab answers 404 for a private project the token cannot see)",
	Fix: "a project that moved (GitLab answers its old path with the project under its new one) gets its new path",
	ExistsDoc: "The GitLab plugin shows an error for a project path or ID its instance does not know. A project that was " +
		"renamed or transferred is still found under its old path, and the finding gives the new one as a fix. An " +
		"entity whose `gitlab.com/instance` names another host than `GITLAB_URL` is not checked: catalog-lint sends " +
		"its token only to the instance the operator configured.",
	FormatDoc: "`gitlab.com/project-slug` is the project's full path, `group/sub/project`: parts of letters, digits, " +
		"`_`, `.` and `-`, at least two, without the instance's address or `.git`; `gitlab.com/project-id` is the " +
		"project's numeric ID.",
	Good:          exampleEntity("gitlab.com/project-slug", "acme/payments"),
	BadMissing:    exampleEntity("gitlab.com/project-slug", "acme/paymnets"),
	BadFormat:     exampleEntity("gitlab.com/project-slug", "https://gitlab.com/acme/payments.git"),
	BadUnverified: exampleEntity("gitlab.com/project-slug", "flaky/payments"),
})

var (
	gitlabPart = regexp.MustCompile(`^[A-Za-z0-9_.][A-Za-z0-9_.-]*$`)
	gitlabID   = regexp.MustCompile(`^[1-9][0-9]{0,18}$`)
)

func parseGitLab(key, value string, annotation func(string) string) (Value, string) {
	instance := strings.ToLower(strings.TrimSpace(annotation(GitLabInstanceAnnotation)))
	if key == "gitlab.com/project-id" {
		if !gitlabID.MatchString(value) {
			return Value{}, fmt.Sprintf("%s %q is not a GitLab project ID (a number)", key, value)
		}
		return Value{Key: "id:" + value, Name: value, ID: value, Instance: instance}, ""
	}
	if strings.TrimSpace(value) == "" {
		return Value{}, fmt.Sprintf("%s is empty; set it to the project's path (group/project) or remove it", key)
	}
	if u, err := url.Parse(value); err == nil && u.Scheme != "" && u.Host != "" {
		path := strings.TrimSuffix(strings.Trim(u.Path, "/"), ".git")
		return Value{}, fmt.Sprintf("%s %q is an address; set it to the project's path %q", key, value, path)
	}
	parts := strings.Split(value, "/")
	if len(parts) < 2 {
		return Value{}, fmt.Sprintf("%s %q has no group; use group/project (the project's full path)", key, value)
	}
	for _, p := range parts {
		if !gitlabPart.MatchString(p) || strings.HasSuffix(p, ".git") || strings.HasSuffix(p, ".atom") {
			return Value{}, fmt.Sprintf("%s %q: %q is not a GitLab path part (letters, digits, _, . and -, no .git)", key, value, p)
		}
	}
	return Value{Key: "path:" + strings.ToLower(value), Name: value, ID: value, Instance: instance}, ""
}

type gitLab struct{ api *api }

func connectGitLab(s Settings) (Service, error) {
	token := s.Get("GITLAB_TOKEN")
	if token == "" {
		return nil, &NotConfigured{Missing: "GITLAB_TOKEN"}
	}
	a, err := newAPI("GitLab", "GITLAB_URL", s.Get("GITLAB_URL"), func(h http.Header) { h.Set("PRIVATE-TOKEN", token) })
	if err != nil {
		return nil, err
	}
	return &gitLab{api: a}, nil
}

func (g *gitLab) Lookup(ctx context.Context, v Value) Result {
	if v.Instance != "" && !strings.EqualFold(v.Instance, g.api.base.Host) && !strings.EqualFold(v.Instance, g.api.base.Hostname()) {
		return Result{Verdict: Unverified, Reason: fmt.Sprintf("%s %q is not the configured GitLab (GITLAB_URL, %s): its projects are not checked",
			GitLabInstanceAnnotation, v.Instance, g.api.base.Host)}
	}
	// A path's slashes are escaped (%2F), as the API asks.
	ans, err := g.api.get(ctx, "/api/v4/projects/"+strings.ReplaceAll(url.PathEscape(v.ID), "/", "%2F"), nil)
	if err == nil {
		switch ans.status {
		case http.StatusOK:
			var p struct {
				ID                int64  `json:"id"`
				PathWithNamespace string `json:"path_with_namespace"`
			}
			if !ans.decode(&p) || p.PathWithNamespace == "" {
				return Result{Verdict: Unverified, Reason: "GitLab's answer was not a project"}
			}
			if strings.HasPrefix(v.Key, "path:") && !strings.EqualFold(p.PathWithNamespace, v.ID) {
				return Result{Verdict: Moved, Current: p.PathWithNamespace}
			}
			return Result{Verdict: Found}
		case http.StatusNotFound:
			return Result{Verdict: Missing}
		}
	}
	return g.api.unverified(ctx, ans, err, "GITLAB_TOKEN")
}
