class Registry: pass
