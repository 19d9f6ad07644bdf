print("lfm-serve")
