variable "linode_token" {
  description = "Linode API personal access token with Kubernetes and Volumes read/write scopes. Set it through the environment (deckhand passes it as TF_VAR_linode_token); never write it into a .tfvars file."
  type        = string
  sensitive   = true
  nullable    = false

  # Only emptiness is checked: Terraform 1.11 prints the value of a variable that fails validation, even a
  # sensitive one, so a rule that a real token could fail would print the token.
  validation {
    condition     = length(trimspace(var.linode_token)) > 0
    error_message = "linode_token is empty: set LINODE_TOKEN (or TF_VAR_linode_token) in the environment or .env."
  }
}

variable "cluster_label" {
  description = "Label of the LKE cluster, as shown in Cloud Manager. Also names the kubeconfig file."
  type        = string
  default     = "deckhand"

  validation {
    condition     = can(regex("^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$", var.cluster_label))
    error_message = "cluster_label must be 1-32 lowercase letters, digits and '-', starting and ending with a letter or digit."
  }
}

variable "region" {
  description = "Linode region of the cluster (and of the data volume), e.g. us-east (Newark), us-ord (Chicago), eu-central (Frankfurt). The region must offer Kubernetes."
  type        = string
  default     = "us-east"

  validation {
    condition     = can(regex("^[a-z]{2}-[a-z]+(-[0-9]+)?$", var.region))
    error_message = "region must be a Linode region id such as us-east, fr-par-2 or ap-south."
  }
}

variable "k8s_version" {
  description = "Kubernetes minor version (major.minor). LKE offers only the newest few; list them with `linode-cli lke versions-list` or GET /v4/lke/versions."
  type        = string
  default     = "1.34"

  validation {
    condition     = can(regex("^1\\.[0-9]{2}$", var.k8s_version))
    error_message = "k8s_version must be a major.minor version such as 1.34."
  }
}

variable "node_type" {
  description = "Linode plan of the worker nodes, e.g. g6-standard-2 (2 vCPU, 4 GB) or g6-dedicated-4. The price is per node."
  type        = string
  default     = "g6-standard-2"

  validation {
    condition     = can(regex("^g[0-9]+-[a-z0-9]+(-[a-z0-9]+)*$", var.node_type))
    error_message = "node_type must be a Linode type id such as g6-standard-2."
  }
}

variable "node_min" {
  description = "Fewest worker nodes the autoscaler keeps (at least 1)."
  type        = number
  default     = 1
  nullable    = false

  validation {
    condition     = var.node_min >= 1 && var.node_min <= 100 && floor(var.node_min) == var.node_min
    error_message = "node_min must be a whole number from 1 to 100."
  }
}

variable "node_max" {
  description = "Most worker nodes the autoscaler may add (node_min to 100). The monthly cost can grow to node_max nodes."
  type        = number
  default     = 3
  nullable    = false

  validation {
    condition     = var.node_max >= var.node_min && var.node_max <= 100 && floor(var.node_max) == var.node_max
    error_message = "node_max must be a whole number from node_min to 100."
  }
}

variable "node_count" {
  description = "Initial number of worker nodes. Leave null to start at node_min and let the autoscaler own the count."
  type        = number
  default     = null

  validation {
    condition     = var.node_count == null || (coalesce(var.node_count, var.node_min) >= var.node_min && coalesce(var.node_count, var.node_min) <= var.node_max)
    error_message = "node_count must be null or between node_min and node_max."
  }
}

variable "high_availability" {
  description = "Run a highly available control plane (extra monthly charge; cannot be switched off once on)."
  type        = bool
  default     = false
  nullable    = false
}

variable "control_plane_allowed_ipv4" {
  description = "IPv4 CIDRs allowed to reach the Kubernetes API (control plane ACL), e.g. [\"203.0.113.7/32\"]. Empty: no ACL, the API is reachable from anywhere (still authenticated)."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for cidr in var.control_plane_allowed_ipv4 : can(cidrhost(cidr, 0)) && strcontains(cidr, ".") && cidr != "0.0.0.0/0"])
    error_message = "control_plane_allowed_ipv4 must hold IPv4 CIDRs such as 203.0.113.7/32, and not 0.0.0.0/0 (leave the list empty instead)."
  }
}

variable "control_plane_allowed_ipv6" {
  description = "IPv6 CIDRs allowed to reach the Kubernetes API (control plane ACL), e.g. [\"2001:db8::/64\"]."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for cidr in var.control_plane_allowed_ipv6 : can(cidrhost(cidr, 0)) && strcontains(cidr, ":") && cidr != "::/0"])
    error_message = "control_plane_allowed_ipv6 must hold IPv6 CIDRs such as 2001:db8::/64, and not ::/0."
  }
}

variable "tags" {
  description = "Tags put on the cluster and the volume (3-50 characters each), to find and bill them together."
  type        = list(string)
  default     = ["deckhand"]
  nullable    = false

  validation {
    condition     = alltrue([for tag in var.tags : length(tag) >= 3 && length(tag) <= 50])
    error_message = "Each tag must be 3-50 characters long."
  }
}

variable "volume_size_gb" {
  description = "Size in GB of an optional Block Storage volume for data (10-10240; about $0.10 per GB per month). null: no volume."
  type        = number
  default     = null

  validation {
    condition     = var.volume_size_gb == null || (coalesce(var.volume_size_gb, 10) >= 10 && coalesce(var.volume_size_gb, 10) <= 10240)
    error_message = "volume_size_gb must be null or a size from 10 to 10240 (GB)."
  }
}

variable "volume_label" {
  description = "Label of the data volume: starts with a letter; letters, digits, '-' and '_' (never two in a row); at most 32 characters."
  type        = string
  default     = "deckhand-data"
  nullable    = false

  validation {
    condition     = can(regex("^[a-zA-Z]([a-zA-Z0-9]|[-_][a-zA-Z0-9])+$", var.volume_label)) && length(var.volume_label) <= 32
    error_message = "volume_label must start with a letter, use only letters, digits, '-' and '_' (not two in a row), and be 2-32 characters."
  }
}

variable "kubeconfig_path" {
  description = "Where terraform writes the cluster's kubeconfig (mode 0600). null: terraform/.kube/<cluster_label>-kubeconfig.yaml, which is git-ignored."
  type        = string
  default     = null
}
