# Terraform and provider versions. Providers are bounded to one major version so an unattended `terraform init`
# can never pull in a release with breaking schema changes.
#
# Terraform >= 1.9 is required because variables.tf validates one variable against another (node_max >= node_min),
# which older releases reject.
#
# .terraform.lock.hcl is not committed yet: it can only be produced by `terraform init` with access to the provider
# registry. Run `terraform init` once on a connected machine, then commit the lock file it writes (see docs/terraform.md).
terraform {
  required_version = ">= 1.9.0, < 2.0.0"

  required_providers {
    linode = {
      source  = "linode/linode"
      version = "~> 3.13"
    }
    local = {
      source  = "hashicorp/local"
      version = "~> 2.5"
    }
  }
}
