//! The Access bundle's entry point (Access): mounts it and nothing else.

fn main() {
    leptos::mount::mount_to_body(meshport_frontend::AccessPages);
}
