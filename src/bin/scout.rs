fn main() {
    print!("{}", scout::core::protocol::js_constants());
}
