"""Publishing: plan every output file, cache renders, release atomically, deploy and ping."""
