// placeholder until merged
