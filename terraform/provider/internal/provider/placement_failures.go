package provider

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/hashicorp/nomad/api"
)

// Why Nomad could not place a job's allocations, in the words `nomad job
// status` prints under "Placement Failure": the scheduler's metrics of the
// latest evaluation that failed to place (Evaluation.FailedTGAllocs) while a
// blocked evaluation waits for a node that fits. A deployment whose
// allocations were never placed stays "running" with nothing to report, so
// this is what a wait for it has to say.

// jobPlacementFailures reads the job's evaluations; "" when nothing waits
// to be placed.
func jobPlacementFailures(ctx context.Context, client *api.Client, namespace, jobID string) string {
	evals, _, err := client.Jobs().Evaluations(jobID, (&api.QueryOptions{Namespace: namespace}).WithContext(ctx))
	if err != nil {
		return fmt.Sprintf("(cannot read the job's evaluations to say why: %v)", err)
	}
	var latest *api.Evaluation
	blocked := false
	for _, e := range evals {
		if e.Status == api.EvalStatusBlocked {
			blocked = true
		}
		if len(e.FailedTGAllocs) > 0 && (latest == nil || e.CreateIndex > latest.CreateIndex) {
			latest = e
		}
	}
	// Failures of an evaluation whose follow-up placed everything are history.
	if !blocked || latest == nil {
		return ""
	}
	job, _, err := client.Jobs().Info(jobID, (&api.QueryOptions{Namespace: namespace}).WithContext(ctx))
	if err != nil {
		job = nil // the reasons stand without the job's constraints beside them
	}
	return describePlacementFailures(latest, job)
}

// describePlacementFailures: one paragraph per task group of an evaluation
// that could not place all allocations; "" when it placed them all. `job`
// (may be nil) supplies the constraints Nomad's cached verdicts leave out.
func describePlacementFailures(eval *api.Evaluation, job *api.Job) string {
	groups := make([]string, 0, len(eval.FailedTGAllocs))
	for group := range eval.FailedTGAllocs {
		groups = append(groups, group)
	}
	sort.Strings(groups)
	var out []string
	for _, group := range groups {
		metrics := eval.FailedTGAllocs[group]
		unplaced := metrics.CoalescedFailures + 1
		out = append(out, fmt.Sprintf("task group %q: %d allocation(s) cannot be placed (evaluation %s):", group, unplaced, shortID(eval.ID)))
		for _, reason := range placementReasons(metrics) {
			if strings.HasPrefix(reason, `Constraint "computed class ineligible"`) {
				reason += " (" + classIneligibleHint(job, group) + ")"
			}
			out = append(out, "  * "+reason)
		}
	}
	return strings.Join(out, "\n")
}

// placementReasons mirrors Nomad's formatAllocMetrics (command/monitor.go),
// sorted so the message is stable, plus a hint where the fix is not obvious.
func placementReasons(m *api.AllocationMetric) []string {
	var reasons []string
	if m.NodesEvaluated == 0 {
		reasons = append(reasons, "No nodes were eligible for evaluation (no ready client in the job's datacenters and node pool)")
	}
	for _, dc := range sortedKeys(m.NodesAvailable) {
		if m.NodesAvailable[dc] == 0 {
			reasons = append(reasons, fmt.Sprintf("No nodes are available in datacenter %q", dc))
		}
	}
	for _, class := range sortedKeys(m.ClassFiltered) {
		reasons = append(reasons, fmt.Sprintf("Class %q: %d nodes excluded by filter", class, m.ClassFiltered[class]))
	}
	for _, constraint := range sortedKeys(m.ConstraintFiltered) {
		reason := fmt.Sprintf("Constraint %q: %d nodes excluded by filter", constraint, m.ConstraintFiltered[constraint])
		switch {
		case constraint == "missing drivers":
			reason += " (a client must run every driver the group's tasks use; raw_exec is off unless the client config enables it: plugin \"raw_exec\" { config { enabled = true } })"
		case strings.HasPrefix(constraint, "${node.class}"):
			reason += " (no ready client has that node_class: set node_class to a class your clients have, or null for any node)"
		}
		reasons = append(reasons, reason)
	}
	if m.NodesExhausted > 0 {
		reasons = append(reasons, fmt.Sprintf("Resources exhausted on %d nodes", m.NodesExhausted))
	}
	for _, class := range sortedKeys(m.ClassExhausted) {
		reasons = append(reasons, fmt.Sprintf("Class %q exhausted on %d nodes", class, m.ClassExhausted[class]))
	}
	for _, dim := range sortedKeys(m.DimensionExhausted) {
		reasons = append(reasons, fmt.Sprintf("Dimension %q exhausted on %d nodes", dim, m.DimensionExhausted[dim]))
	}
	for _, quota := range m.QuotaExhausted {
		reasons = append(reasons, fmt.Sprintf("Quota limit hit %q", quota))
	}
	return reasons
}

// classIneligibleHint: Nomad names the failing constraint only the first
// time it checks a class of clients; later checks in the same evaluation
// (after an in-place update was tried on the old allocation's client, for
// one) say "computed class ineligible". What the group asks for is then the
// best explanation there is.
func classIneligibleHint(job *api.Job, group string) string {
	const cached = "Nomad had already found that these clients fail a constraint or driver of the group"
	if job == nil {
		return cached
	}
	var asks []string
	for _, c := range job.Constraints {
		asks = append(asks, constraintText(c))
	}
	for _, tg := range job.TaskGroups {
		if tg.Name == nil || *tg.Name != group {
			continue
		}
		for _, c := range tg.Constraints {
			asks = append(asks, constraintText(c))
		}
		drivers := map[string]bool{}
		for _, task := range tg.Tasks {
			if !drivers[task.Driver] {
				drivers[task.Driver] = true
				asks = append(asks, "driver "+task.Driver)
			}
		}
	}
	if len(asks) == 0 {
		return cached
	}
	return cached + "; it asks for: " + strings.Join(asks, ", ")
}

func constraintText(c *api.Constraint) string {
	return strings.TrimSpace(fmt.Sprintf("%s %s %s", c.LTarget, c.Operand, c.RTarget))
}

// registrationPlacement waits (briefly) for the evaluation a job
// registration created and returns what it could not place; "" when it
// placed everything or did not finish in time (the job is registered
// either way; this only feeds a warning).
func registrationPlacement(ctx context.Context, client *api.Client, job *api.Job, namespace, evalID string, timeout time.Duration) string {
	if evalID == "" {
		return ""
	}
	deadline := time.Now().Add(timeout)
	q := (&api.QueryOptions{Namespace: namespace}).WithContext(ctx)
	for {
		eval, _, err := client.Evaluations().Info(evalID, q)
		if err != nil {
			return fmt.Sprintf("(cannot read evaluation %s to check placement: %v)", shortID(evalID), err)
		}
		if eval.Status != api.EvalStatusPending {
			return describePlacementFailures(eval, job)
		}
		if time.Now().After(deadline) {
			return ""
		}
		select {
		case <-ctx.Done():
			return ""
		case <-time.After(500 * time.Millisecond):
		}
	}
}
