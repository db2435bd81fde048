"""Cloud accounts: Azure and Office 365 tenants connected by consent or credentials,
their subscriptions and access levels, EA tokens, billing accounts, workspaces."""

from skytally.accounts import repo as _repo
from skytally.jobs import service as _jobs

# job runs about an account are seen by whoever may see the account now (jobs.service)
_jobs.set_account_workspaces(_repo.workspace_ids_of)
