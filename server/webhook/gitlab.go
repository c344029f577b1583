package webhook

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
)

// gitlab receives GitLab's project and group webhooks (Push Hook, Merge Request Hook). GitLab signs
// nothing: the secret token it sends as is in X-Gitlab-Token is the authentication, compared (as
// SHA-256 digests, so that not even its length shows) in constant time before the body is read.
func (s *Server) gitlab(c *gin.Context) {
	event := c.GetHeader("X-Gitlab-Event")
	delivery := truncate(c.GetHeader("X-Gitlab-Event-UUID"), 64)
	log := s.log.With().Str("delivery", delivery).Str("event", event).Str("forge", ForgeGitLab).Logger()
	answer := func(status int, outcome, msg string) {
		s.metrics.delivery(event, outcome)
		c.JSON(status, gin.H{"outcome": outcome, "message": msg})
	}
	token := c.GetHeader("X-Gitlab-Token")
	got, want := sha256.Sum256([]byte(token)), sha256.Sum256(s.cfg.GitLabSecret)
	if subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
		log.Warn().Bool("token_present", token != "").Msg("secret token missing or wrong")
		answer(http.StatusUnauthorized, "bad_token", "missing or invalid X-Gitlab-Token")
		return
	}
	body, ok := s.readBody(c, log, answer)
	if !ok {
		return
	}
	job, why, err := gitlabJobFor(event, body)
	if !s.decoded(job, why, err, log, answer) {
		return
	}
	job.Delivery, job.Event, job.Received = delivery, event, time.Now().UTC()
	job.Key = gitlabKey(job)
	s.enqueue(job, log, answer)
}

// gitlabKey identifies a GitLab job: the project (by ID: a project renamed keeps it) and commit, and
// the merge request for a merge request's job.
func gitlabKey(job *Job) string {
	key := "gitlab:" + strconv.FormatInt(job.ProjectID, 10) + "@" + job.HeadSHA
	if job.Kind == KindMergeRequest {
		key += "#merge_request-" + strconv.FormatInt(job.MergeRequest, 10)
	}
	return key
}

// The parts of GitLab's payloads a job needs (doc/user/project/integrations/webhook_events.md).
type gitlabProject struct {
	ID                int64  `json:"id"`
	PathWithNamespace string `json:"path_with_namespace"`
}

// gitlabJobFor turns a GitLab webhook into a job: nil (with why) for events and actions that change
// no commit to lint.
func gitlabJobFor(event string, payload []byte) (*Job, string, error) {
	decode := func(v any) error {
		dec := json.NewDecoder(bytes.NewReader(payload))
		if err := dec.Decode(v); err != nil {
			return fmt.Errorf("payload is not a %s: %s", event, jsonError(err))
		}
		return nil
	}
	var job *Job
	var project gitlabProject
	switch event {
	case "Push Hook":
		var p struct {
			Before  string        `json:"before"`
			After   string        `json:"after"`
			Project gitlabProject `json:"project"`
		}
		if err := decode(&p); err != nil {
			return nil, "", err
		}
		if p.After == zeroSHA {
			return nil, "the branch was deleted", nil
		}
		if !isSHA(p.After) {
			return nil, "", errors.New("push without a valid after SHA")
		}
		project = p.Project
		job = &Job{Forge: ForgeGitLab, Kind: KindPush, HeadSHA: p.After}
		if isSHA(p.Before) && p.Before != zeroSHA {
			job.BaseSHA = p.Before
		}
	case "Merge Request Hook":
		var p struct {
			Project gitlabProject `json:"project"`
			Attrs   struct {
				IID        int64  `json:"iid"`
				Action     string `json:"action"`
				OldRev     string `json:"oldrev"`
				LastCommit struct {
					ID string `json:"id"`
				} `json:"last_commit"`
			} `json:"object_attributes"`
		}
		if err := decode(&p); err != nil {
			return nil, "", err
		}
		switch a := p.Attrs.Action; {
		case a == "open" || a == "reopen":
		case a == "update" && p.Attrs.OldRev != "":
			// New commits; an update without oldrev changed the title, labels or assignees.
		default:
			return nil, fmt.Sprintf("merge request action %q changes no commit", truncate(a, 40)), nil
		}
		if !isSHA(p.Attrs.LastCommit.ID) || p.Attrs.IID <= 0 {
			return nil, "", errors.New("merge request without a valid iid and last commit")
		}
		project = p.Project
		job = &Job{Forge: ForgeGitLab, Kind: KindMergeRequest, HeadSHA: p.Attrs.LastCommit.ID, MergeRequest: p.Attrs.IID}
	default:
		return nil, fmt.Sprintf("event %q is not handled", truncate(event, 40)), nil
	}
	if project.ID <= 0 {
		return nil, "", errors.New("payload without a project id")
	}
	job.ProjectID = project.ID
	path := project.PathWithNamespace
	if i := strings.LastIndex(path, "/"); i > 0 && len(path) <= 255 {
		job.Owner, job.Repo = path[:i], path[i+1:]
	} else {
		job.Owner, job.Repo = "project", strconv.FormatInt(project.ID, 10)
	}
	return job, "", nil
}
