//! The portal's entry point: mounts the app on the page and nothing else.

fn main() {
    leptos::mount::mount_to_body(meshport_frontend::App);
}
