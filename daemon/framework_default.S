/* The shipped Herts and West Essex framework, built into the binary so a
 * fresh install assesses against it with no file to find. */
	.section .rodata
	.global framework_default_yaml
	.global framework_default_end
framework_default_yaml:
	.incbin "frameworks/herts-west-essex.yaml"
framework_default_end:
	.byte 0
	.section .note.GNU-stack,"",@progbits
