package review

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestAddedLines(t *testing.T) {
	patch := "@@ -1,4 +1,5 @@\n apiVersion: backstage.io/v1alpha1\n-kind: component\n+kind: Component\n+# new\n metadata:\n@@ -10,2 +11,2 @@\n   type: service\n-  lifecycle: x\n+  lifecycle: y\n\\ No newline at end of file"
	got := AddedLines(patch)
	if diff := cmp.Diff(map[int]bool{2: true, 3: true, 12: true}, got); diff != "" {
		t.Errorf("added lines (-want +got):\n%s", diff)
	}
}
