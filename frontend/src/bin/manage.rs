//! The Manage bundle's entry point (Manage): mounts it and nothing else.

fn main() {
    leptos::mount::mount_to_body(meshport_frontend::ManagePages);
}
