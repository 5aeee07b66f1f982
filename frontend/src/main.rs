//! The Discover bundle's entry point (Explore, product pages, Activity): mounts it and nothing else.

fn main() {
    leptos::mount::mount_to_body(meshport_frontend::Discover);
}
