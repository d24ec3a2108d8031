package main

import (
	"fmt"
	"io"
)

func runPreview(args []string, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "preview: not built yet")
	return 2
}
