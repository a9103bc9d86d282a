# The token comes from var.linode_token, which deckhand fills through the environment (TF_VAR_linode_token), so it
# never appears on a command line, in a file in this folder, or in shell history.
provider "linode" {
  token = var.linode_token
}
