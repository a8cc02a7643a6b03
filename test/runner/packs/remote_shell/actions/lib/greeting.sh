greeting() { echo "hello from lib"; }
