//! The Studio bundle's entry point (Publish, Create, Sign in): mounts it and nothing else.

fn main() {
    leptos::mount::mount_to_body(meshport_frontend::Studio);
}
