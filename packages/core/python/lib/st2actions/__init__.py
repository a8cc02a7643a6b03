"""Import path of the Action base class in StackStorm before 2.x; older packs still use it."""
