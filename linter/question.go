package linter

import (
	"context"

	"gopkg.in/yaml.v3"
)

// Deferred questions. A rule that needs the whole catalog or a remote service does not answer while
// it reads an entity: it asks a question of its own type Q, and the Answerer[Q] the run registered for
// the rule answers every question of the run in one batch once all files are read. A rule declares
// its questions once, `var targetQuestions linter.Asks[targetQuestion]`; its Check asks with
// targetQuestions.Ask and its resolver is registered with targetQuestions.AnsweredBy, so that the
// compiler ties the two. The engine holds questions without knowing their types and turns each answer
// into a finding in one place (Linter.answerFinding).

// Asks is the declaration of a rule's question type Q.
type Asks[Q any] struct{}

// Ask defers q, a question about node n of the entity p is checking (nil: the entity), for the rule
// p runs.
func (Asks[Q]) Ask(p *Pass, n *yaml.Node, q Q) { p.defer_(p.ruleIdx, n, q) }

// AnsweredBy makes a the resolver of the questions: register it for the rule in Options.Resolvers.
func (Asks[Q]) AnsweredBy(a Answerer[Q]) Resolver { return typedResolver[Q]{a} }

// Answerer answers the questions of type Q its rules asked, in one batch per run. Each Answer names
// its question by index in qs; answers may come from another rule than the one that asked (a
// "could not verify" rule).
type Answerer[Q any] interface {
	Answer(ctx context.Context, qs []Q) (answers []Answer, notices []string)
}

// Watcher is an Answerer that wants each question as soon as it is asked, while files are still being
// read, to start slow work early (such as fetching a project list). Watch is called from several
// goroutines at once.
type Watcher[Q any] interface {
	Watch(ctx context.Context, q Q)
}

// Resolver is an Answerer as the engine holds it: made by Asks.AnsweredBy, registered per rule in
// Options.Resolvers. A resolver may serve several runs; what one run asks is kept in a store the run
// makes of it.
type Resolver interface {
	store() keyStore
	resolve(ctx context.Context, s keyStore, keys []int32) ([]Answer, []string)
	observe(ctx context.Context, q any)
	sweeps() bool
}

// keyStore keeps what one rule of a run asked until it is answered, each question's key in a table of
// its own type, named by index: a question holds no pointer, and keys that hold none either (a
// relation's) are chunks the collector does not look into.
type keyStore interface {
	add(q any) (int32, bool)
}

type typedStore[Q any] struct{ keys table[Q] }

// add keeps q; false when it is not a Q (Asks[Q] only ever asks a Q; anything else has no answer).
func (s *typedStore[Q]) add(q any) (int32, bool) {
	tq, ok := q.(Q)
	if !ok {
		return 0, false
	}
	return s.keys.add(tq), true
}

// Sweeper is an Answerer that answers even when none of its rule's questions were asked: after every
// file is read it is asked, with no questions, and answers from what the run recorded (the
// catalog's duplicate definitions). Its answers carry their place (Answer.At).
type Sweeper interface {
	Sweeps() bool
}

type typedResolver[Q any] struct{ a Answerer[Q] }

func (typedResolver[Q]) store() keyStore { return &typedStore[Q]{} }

func (t typedResolver[Q]) resolve(ctx context.Context, s keyStore, keys []int32) ([]Answer, []string) {
	typed := make([]Q, len(keys))
	if st, ok := s.(*typedStore[Q]); ok {
		for i, k := range keys {
			typed[i] = *st.keys.at(k)
		}
	}
	answers, notices := t.a.Answer(ctx, typed)
	for i := range answers {
		if answers[i].At == nil && (answers[i].Question < 0 || answers[i].Question >= len(keys)) {
			answers[i].Question = -1
		}
	}
	return answers, notices
}

func (t typedResolver[Q]) sweeps() bool {
	s, ok := t.a.(Sweeper)
	return ok && s.Sweeps()
}

func (t typedResolver[Q]) observe(ctx context.Context, q any) {
	if w, ok := t.a.(Watcher[Q]); ok {
		if tq, ok := q.(Q); ok {
			w.Watch(ctx, tq)
		}
	}
}

// Finisher has findings of its own once every question is answered, each placed with Answer.At, such
// as entities that conflict with a live catalog (Options.Finishers). Finish is called once per run.
type Finisher interface {
	Finish(ctx context.Context) (answers []Answer, notices []string)
}

// Answer is a finding for the question at index Question, reported by Rule (which may be another rule
// than the one that asked, such as an "unverified" rule).
type Answer struct {
	Question int
	Rule     *Rule
	Message  string
	// Replace, when set, is the value that resolves the finding (a renamed project's new slug): the
	// engine makes it the finding's fix, keeping the value's quoting style.
	Replace *string
	// At, when set, places the finding elsewhere than a question: at an entity that asked nothing
	// (Finisher answers). Source is read from the file when it is left empty and the file is on disk.
	At *Finding
}

// questionChunk is how many questions a chunk of a questionList holds.
const questionChunk = 1024

// questionList holds a run's questions in chunks of fixed capacity: adding never copies what it
// holds (a slice grown by doubling copies it, and keeps up to twice what it needs), and joining the
// workers' lists is joining their chunks. A catalog-wide run holds one question per relation.
type questionList struct {
	chunks [][]question
}

// add appends qs.
func (ql *questionList) add(qs []question) {
	for len(qs) > 0 {
		if n := len(ql.chunks); n == 0 || len(ql.chunks[n-1]) == cap(ql.chunks[n-1]) {
			ql.chunks = append(ql.chunks, make([]question, 0, questionChunk))
		}
		last := &ql.chunks[len(ql.chunks)-1]
		k := min(len(qs), cap(*last)-len(*last))
		*last = append(*last, qs[:k]...)
		qs = qs[k:]
	}
}

// join appends the chunks of other, which the list then owns.
func (ql *questionList) join(other questionList) {
	ql.chunks = append(ql.chunks, other.chunks...)
}

// keep drops, in place, the questions for which keep is false.
func (ql *questionList) keep(keep func(*question) bool) {
	for c, chunk := range ql.chunks {
		kept := chunk[:0]
		for i := range chunk {
			if keep(&chunk[i]) {
				kept = append(kept, chunk[i])
			}
		}
		clear(chunk[len(kept):])
		ql.chunks[c] = kept
	}
}
