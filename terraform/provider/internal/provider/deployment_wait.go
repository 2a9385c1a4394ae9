package provider

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/hashicorp/nomad/api"
)

const defaultDeploymentTimeout = 5 * time.Minute

// waitForDeployment blocks until the deployment of job version `version`
// is successful, and turns a failed one into an error that carries what the
// allocations' task events say (e.g. the driver refusing the component),
// and one that runs out of time into what keeps it from being placed or
// healthy.
func waitForDeployment(ctx context.Context, client *api.Client, namespace, jobID string, version uint64, timeout time.Duration) (*api.Deployment, error) {
	q := &api.QueryOptions{Namespace: namespace}
	deadline := time.Now().Add(timeout)
	var last *api.Deployment
	for {
		d, _, err := client.Jobs().LatestDeployment(jobID, q.WithContext(ctx))
		if err != nil {
			return nil, fmt.Errorf("reading the deployment of job %q: %w", jobID, err)
		}
		if d != nil && d.JobVersion == version {
			last = d
			switch d.Status {
			case api.DeploymentStatusSuccessful:
				return d, nil
			case api.DeploymentStatusFailed, api.DeploymentStatusCancelled:
				return d, fmt.Errorf("deployment %s of job %q version %d %s: %s%s", shortID(d.ID), jobID, version, d.Status, d.StatusDescription, allocationProblems(ctx, client, d))
			}
			// A task the driver refused for good (bad config, unsigned
			// component) would only fail the deployment at its progress
			// deadline, after rescheduling the same failure: report it now.
			if unrecoverable := unrecoverableFailures(ctx, client, d); unrecoverable != "" {
				return d, fmt.Errorf("job %q version %d cannot become healthy: its tasks fail with unrecoverable errors:%s", jobID, version, unrecoverable)
			}
		}
		if time.Now().After(deadline) {
			return last, notHealthyInTime(ctx, client, namespace, jobID, version, timeout, last)
		}
		select {
		case <-ctx.Done():
			return last, ctx.Err()
		case <-time.After(time.Second):
		}
	}
}

// notHealthyInTime says why the wait ran out: the deployment's state, how
// many allocations were placed, Nomad's reasons for those it cannot place
// (a node class no client has, a driver no client runs, exhausted
// resources) and the task events of those placed but unhealthy.
func notHealthyInTime(ctx context.Context, client *api.Client, namespace, jobID string, version uint64, timeout time.Duration, last *api.Deployment) error {
	status := "no deployment yet"
	if last != nil {
		status = fmt.Sprintf("deployment %s is %s: %s; %s", shortID(last.ID), last.Status, last.StatusDescription, placedSummary(last))
	}
	msg := fmt.Sprintf("job %q version %d not healthy within %s (%s)", jobID, version, timeout, status)
	if unplaced := jobPlacementFailures(ctx, client, namespace, jobID); unplaced != "" {
		msg += "\nNomad cannot place allocations of the job:\n" + unplaced
	}
	if last != nil {
		msg += allocationProblems(ctx, client, last)
	}
	return errors.New(msg)
}

// placedSummary: "0 of 1 allocations placed, 0 healthy".
func placedSummary(d *api.Deployment) string {
	desired, placed, healthy := 0, 0, 0
	for _, tg := range d.TaskGroups {
		desired += tg.DesiredTotal
		placed += tg.PlacedAllocs
		healthy += tg.HealthyAllocs
	}
	return fmt.Sprintf("%d of %d allocations placed, %d healthy", placed, desired, healthy)
}

// allocationProblems: the last task events of the deployment's unhealthy
// allocations, so the error says why (bad signature, grant beyond the
// node's ceiling, crash) without a trip to `nomad alloc status`.
func allocationProblems(ctx context.Context, client *api.Client, d *api.Deployment) string {
	allocs, _, err := client.Deployments().Allocations(d.ID, (&api.QueryOptions{Namespace: d.Namespace}).WithContext(ctx))
	if err != nil {
		return ""
	}
	var lines []string
	for _, stub := range allocs {
		if stub.DeploymentStatus != nil && stub.DeploymentStatus.Healthy != nil && *stub.DeploymentStatus.Healthy {
			continue
		}
		for task, state := range stub.TaskStates {
			events := state.Events
			if len(events) > 3 {
				events = events[len(events)-3:]
			}
			var msgs []string
			for _, e := range events {
				msgs = append(msgs, strings.TrimSpace(e.Type+": "+e.DisplayMessage))
			}
			lines = append(lines, fmt.Sprintf("alloc %s task %s (%s): %s", shortID(stub.ID), task, state.State, strings.Join(msgs, "; ")))
		}
	}
	sort.Strings(lines)
	if len(lines) == 0 {
		return ""
	}
	return "\n" + strings.Join(lines, "\n")
}

// unrecoverableFailures lists the deployment's allocations whose task Nomad
// gave up on ("Not Restarting: Error was unrecoverable"), or "" if none.
func unrecoverableFailures(ctx context.Context, client *api.Client, d *api.Deployment) string {
	unhealthy := 0
	for _, tg := range d.TaskGroups {
		unhealthy += tg.UnhealthyAllocs
	}
	if unhealthy == 0 {
		return ""
	}
	allocs, _, err := client.Deployments().Allocations(d.ID, (&api.QueryOptions{Namespace: d.Namespace}).WithContext(ctx))
	if err != nil {
		return ""
	}
	var lines []string
	for _, stub := range allocs {
		for task, state := range stub.TaskStates {
			if state.State != "dead" || !state.Failed || len(state.Events) == 0 {
				continue
			}
			last := state.Events[len(state.Events)-1]
			if last.Type != api.TaskNotRestarting || !strings.Contains(last.DisplayMessage, "unrecoverable") {
				continue
			}
			var reasons []string
			for _, e := range state.Events {
				if e.Type == api.TaskDriverFailure || e.Type == api.TaskFailedValidation || e.Type == api.TaskSetupFailure {
					reasons = append(reasons, strings.TrimSpace(e.Type+": "+e.DisplayMessage))
				}
			}
			lines = append(lines, fmt.Sprintf("alloc %s task %s: %s", shortID(stub.ID), task, strings.Join(reasons, "; ")))
		}
	}
	sort.Strings(lines)
	if len(lines) == 0 {
		return ""
	}
	return "\n" + strings.Join(lines, "\n")
}

// waitForAllocationsStopped: destroy returns only once the tasks are gone.
func waitForAllocationsStopped(ctx context.Context, client *api.Client, namespace string, allocIDs []string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	q := (&api.QueryOptions{Namespace: namespace}).WithContext(ctx)
	for _, id := range allocIDs {
		for {
			alloc, _, err := client.Allocations().Info(id, q)
			if isNotFound(err) || (err == nil && alloc.ClientTerminalStatus()) {
				break
			}
			if err != nil {
				return err
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("allocation %s still %s after %s", shortID(id), alloc.ClientStatus, timeout)
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(500 * time.Millisecond):
			}
		}
	}
	return nil
}

func shortID(id string) string {
	if len(id) > 8 {
		return id[:8]
	}
	return id
}
