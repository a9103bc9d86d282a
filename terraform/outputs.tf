output "cluster_id" {
  description = "Numeric id of the LKE cluster (for the Linode API, linode-cli and `tasks.ts kubeconfig --cluster-id`)."
  value       = linode_lke_cluster.this.id
}

output "cluster_label" {
  description = "Label of the LKE cluster."
  value       = linode_lke_cluster.this.label
}

output "region" {
  description = "Region the cluster runs in."
  value       = linode_lke_cluster.this.region
}

output "k8s_version" {
  description = "Kubernetes version of the control plane."
  value       = linode_lke_cluster.this.k8s_version
}

output "api_endpoints" {
  description = "URLs of the cluster's Kubernetes API server."
  value       = linode_lke_cluster.this.api_endpoints
}

output "dashboard_url" {
  description = "URL of the Kubernetes dashboard Linode runs for the cluster."
  value       = linode_lke_cluster.this.dashboard_url
}

output "kubeconfig_path" {
  description = "Path of the kubeconfig file terraform wrote (mode 0600)."
  value       = local_sensitive_file.kubeconfig.filename
}

output "kubeconfig" {
  description = "The cluster's kubeconfig, base64-encoded. Admin credentials: read it with `npx tsx tasks.ts kubeconfig`, never print it."
  value       = linode_lke_cluster.this.kubeconfig
  sensitive   = true
}

output "volume_id" {
  description = "Id of the data volume, or null when volume_size_gb is null."
  value       = one(linode_volume.data[*].id)
}
