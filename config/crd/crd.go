// Package crd embeds the generated CRD manifests so that offline tools
// (kubectl-5spot) validate against exactly what the API server enforces.
package crd

import _ "embed"

// ScheduledMachines is the generated CRD of ScheduledMachine.
//
//go:embed bases/5spot.finos.org_scheduledmachines.yaml
var ScheduledMachines []byte

// ScheduledMachinePools is the generated CRD of ScheduledMachinePool.
//
//go:embed bases/5spot.finos.org_scheduledmachinepools.yaml
var ScheduledMachinePools []byte
