"""OpsRunbook's AWS resources as a CDK v2 app: storage (data), compute (Dagster on ECS) and API stacks."""
