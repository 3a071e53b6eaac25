"""CDK entry point (``cdk synth`` / ``cdk deploy`` from infra/cdk): the storage, compute and API stacks."""

from opsrunbook_cdk.synth import build_app

build_app().synth()
