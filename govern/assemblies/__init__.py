"""General assemblies: agenda, attendance, proxies, quorum, paper ballots and minutes."""
