locals {
  kubeconfig_path = coalesce(var.kubeconfig_path, "${path.module}/.kube/${var.cluster_label}-kubeconfig.yaml")
  acl_enabled     = length(var.control_plane_allowed_ipv4) + length(var.control_plane_allowed_ipv6) > 0
}

resource "linode_lke_cluster" "this" {
  label       = var.cluster_label
  k8s_version = var.k8s_version
  region      = var.region
  tags        = var.tags

  pool {
    type = var.node_type
    # null leaves the node count to the autoscaler (the pool starts at node_min); a fixed number here would make
    # every later plan try to undo the autoscaler's changes.
    count = var.node_count

    autoscaler {
      min = var.node_min
      max = var.node_max
    }
  }

  control_plane {
    # High availability costs extra every month and cannot be turned off again once enabled.
    high_availability = var.high_availability

    dynamic "acl" {
      for_each = local.acl_enabled ? [true] : []
      content {
        enabled = true
        addresses {
          ipv4 = var.control_plane_allowed_ipv4
          ipv6 = var.control_plane_allowed_ipv6
        }
      }
    }
  }
}

# An optional Block Storage volume for data that must outlive the cluster (PVCs created inside Kubernetes get their
# own volumes from the Linode CSI driver; this one is for data you manage yourself). Block Storage only attaches to
# nodes in its own region, hence the cluster's region.
resource "linode_volume" "data" {
  count = var.volume_size_gb == null ? 0 : 1

  label  = var.volume_label
  region = linode_lke_cluster.this.region
  size   = var.volume_size_gb
  tags   = var.tags

  lifecycle {
    # Deleting the volume deletes the data. To really remove it, take this block out in a reviewed change first.
    prevent_destroy = true
  }
}

# local_sensitive_file rather than local_file: local_file writes with mode 0777 by default and shows its content in
# plans, while this kubeconfig holds admin credentials for the cluster.
resource "local_sensitive_file" "kubeconfig" {
  filename             = local.kubeconfig_path
  content_base64       = linode_lke_cluster.this.kubeconfig
  file_permission      = "0600"
  directory_permission = "0700"
}
